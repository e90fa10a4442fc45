using Anomaly.ED.Evaluation;

namespace Anomaly.ED.Samples.Datasets;

/// <summary>The outcome of one category.</summary>
/// <param name="Category">The category name.</param>
/// <param name="Metrics">The overall metrics, or null when the category failed.</param>
/// <param name="TrainingTime">Wall-clock training time.</param>
/// <param name="HeatmapDirectory">The heatmap folder, or null when none were written.</param>
/// <param name="Error">Why the category failed, or null.</param>
public sealed record CategoryResult(string Category, MetricSet? Metrics, TimeSpan TrainingTime, string? HeatmapDirectory, string? Error);

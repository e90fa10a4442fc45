namespace Anomaly.ED.Evaluation;

/// <summary>A metric that could not be computed on a subset, with the reason (for example, only one class is present).</summary>
/// <param name="Metric">The metric's name as in the JSON and CSV columns, e.g. "imageAuroc".</param>
/// <param name="Reason">Why it is undefined on this subset.</param>
public sealed record UndefinedMetric(string Metric, string Reason);

namespace Anomaly.ED.Evaluation;

/// <summary>The best F1 score over all thresholds and the threshold that reaches it.</summary>
/// <param name="F1">The maximum F1 score.</param>
/// <param name="Threshold">The score threshold at the maximum: a sample is predicted defective when its score is at least this value.</param>
internal readonly record struct F1MaxResult(double F1, double Threshold);

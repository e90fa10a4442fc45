using Anomaly.ED.Scoring;

namespace Anomaly.ED;

/// <summary>The result of scoring one image: its anomaly score, its anomaly map and, when a threshold is calibrated, the decision.</summary>
/// <param name="Score">The image score: the maximum of the smoothed anomaly map (raw, as the reference).</param>
/// <param name="NormalizedScore">The score mapped to [0, 1] by the model's calibration (threshold at 0.5), or null when there is none.</param>
/// <param name="IsAnomalous">Whether the score reaches the calibrated threshold, or null when no threshold is set.</param>
/// <param name="Map">The smoothed anomaly map at the model's input resolution (or the original image resolution when requested).</param>
/// <param name="SourcePath">The image file, when the image came from a file.</param>
public sealed record AnomalyPrediction(float Score, float? NormalizedScore, bool? IsAnomalous, AnomalyMap Map, string? SourcePath)
{
    /// <summary>The map before smoothing (the levels combined), in the geometry of <see cref="Map"/>, when
    /// <see cref="PredictOptions.IncludeUnsmoothedMap"/> asked for it; the reference's pixel AUROC is computed on it. Null otherwise.</summary>
    public AnomalyMap? UnsmoothedMap { get; init; }
}

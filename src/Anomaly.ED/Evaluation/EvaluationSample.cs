namespace Anomaly.ED.Evaluation;

/// <summary>One test image's detector output and ground truth, the input of <see cref="EvaluationReportBuilder"/>.</summary>
/// <param name="Path">Where the image came from; used in error messages only.</param>
/// <param name="DefectType">The dataset's category of the image, e.g. "good" or "broken_large"; defective images are grouped by it.</param>
/// <param name="IsDefective">The ground-truth label: true for a defective image, false for a normal one.</param>
/// <param name="ImageScore">The detector's image score (higher is more anomalous).</param>
/// <param name="AnomalyMap">The level-averaged map before smoothing (H*W, row-major), or null when not available; the reference's pixel AUROC uses it.</param>
/// <param name="SmoothedMap">The smoothed map (H*W, row-major), or null when not available; AUPRO, pixel AP and the smoothed pixel AUROC use it.</param>
/// <param name="Mask">Ground truth (H*W, row-major, true where defective). Null on a normal image means all normal; null on a defective image means the mask is unknown.</param>
internal sealed record EvaluationSample(
    string Path,
    string DefectType,
    bool IsDefective,
    float ImageScore,
    float[]? AnomalyMap = null,
    float[]? SmoothedMap = null,
    bool[]? Mask = null);

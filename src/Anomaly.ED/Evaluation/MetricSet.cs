namespace Anomaly.ED.Evaluation;

/// <summary>The metrics of one subset of the test set (all images, or one defect type plus every normal image); a null value is undefined, see <see cref="Undefined"/>.</summary>
public sealed record MetricSet
{
    /// <summary>The subset's name: <see cref="EvaluationReport.OverallName"/> or a defect type.</summary>
    public required string Subset { get; init; }

    /// <summary>Images in the subset.</summary>
    public int Images { get; init; }

    /// <summary>Defective images in the subset.</summary>
    public int DefectiveImages { get; init; }

    /// <summary>Normal images in the subset.</summary>
    public int NormalImages { get; init; }

    /// <summary>AUROC of the image scores against the image labels.</summary>
    public double? ImageAuroc { get; init; }

    /// <summary>Pixel AUROC on the unsmoothed level-averaged maps: the number the reference reports.</summary>
    public double? PixelAuroc { get; init; }

    /// <summary>Pixel AUROC on the smoothed maps.</summary>
    public double? PixelAurocSmoothed { get; init; }

    /// <summary>Normalised AUPRO of the smoothed maps up to the report's false-positive-rate limit.</summary>
    public double? Aupro { get; init; }

    /// <summary>Pixel average precision on the smoothed maps.</summary>
    public double? PixelAveragePrecision { get; init; }

    /// <summary>The best image-level F1 over all thresholds.</summary>
    public double? ImageF1Max { get; init; }

    /// <summary>The image score threshold reaching <see cref="ImageF1Max"/> (defective when score &gt;= threshold).</summary>
    public double? ImageF1Threshold { get; init; }

    /// <summary>The metrics left null on this subset, each with its reason.</summary>
    public IReadOnlyList<UndefinedMetric> Undefined { get; init; } = [];
}

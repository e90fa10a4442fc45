namespace Anomaly.ED.Evaluation;

/// <summary>The metric names used in JSON, CSV and <see cref="UndefinedMetric.Metric"/>.</summary>
internal static class MetricNames
{
    /// <summary>Image-level AUROC.</summary>
    public const string ImageAuroc = "imageAuroc";

    /// <summary>Pixel AUROC on the unsmoothed maps.</summary>
    public const string PixelAuroc = "pixelAuroc";

    /// <summary>Pixel AUROC on the smoothed maps.</summary>
    public const string PixelAurocSmoothed = "pixelAurocSmoothed";

    /// <summary>Normalised AUPRO on the smoothed maps.</summary>
    public const string Aupro = "aupro";

    /// <summary>Pixel average precision on the smoothed maps.</summary>
    public const string PixelAveragePrecision = "pixelAveragePrecision";

    /// <summary>Image-level F1-max.</summary>
    public const string ImageF1Max = "imageF1Max";

    /// <summary>The image score threshold of the F1-max.</summary>
    public const string ImageF1Threshold = "imageF1Threshold";
}

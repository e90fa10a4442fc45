namespace Anomaly.ED.Evaluation;

/// <summary>
/// Collects per-image detector outputs and computes an <see cref="EvaluationReport"/>: the metrics over all images and
/// per defect type (that type's images plus every normal image).
/// </summary>
/// <remarks>
/// The builder keeps the samples' map and mask arrays by reference, without copying them: do not change them until
/// <see cref="Build"/> has returned. A normal image's mask is checked and then dropped. Each metric subset is gathered
/// from these arrays once per map kind into class-split, sorted arrays (4 bytes per normal pixel, 12 per defective
/// pixel with AUPRO's weights), which are released before the next subset. Not thread-safe.
/// </remarks>
internal sealed class EvaluationReportBuilder
{
    private readonly List<Entry> entries = [];

    /// <summary>Creates a builder for maps of <paramref name="height"/> x <paramref name="width"/> pixels.</summary>
    /// <param name="height">Map height in pixels (the detector's output size, e.g. 256).</param>
    /// <param name="width">Map width in pixels.</param>
    /// <param name="auproFprLimit">The false-positive-rate limit of AUPRO, in (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the limit is outside (0, 1].</exception>
    public EvaluationReportBuilder(int height, int width, double auproFprLimit = Evaluation.Aupro.DefaultFprLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if ((long)height * width > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(height), $"Maps of {height}x{width} pixels do not fit in one array.");
        }

        if (!(auproFprLimit > 0 && auproFprLimit <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(auproFprLimit), auproFprLimit, "The AUPRO false-positive-rate limit must lie in (0, 1].");
        }

        Height = height;
        Width = width;
        AuproFprLimit = auproFprLimit;
    }

    /// <summary>Map height in pixels.</summary>
    public int Height { get; }

    /// <summary>Map width in pixels.</summary>
    public int Width { get; }

    /// <summary>The false-positive-rate limit of AUPRO.</summary>
    public double AuproFprLimit { get; }

    /// <summary>The number of samples added so far.</summary>
    public int Count => entries.Count;

    /// <summary>Adds one image after checking it; the arrays are kept by reference.</summary>
    /// <exception cref="ArgumentException">The defect type is empty, the score or a map value is NaN, an array has the wrong length, or a normal image's mask marks defective pixels; the message names the sample's path.</exception>
    public EvaluationReportBuilder Add(EvaluationSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var name = $"Evaluation sample '{sample.Path}'";
        if (string.IsNullOrWhiteSpace(sample.DefectType))
        {
            throw new ArgumentException($"{name}: the defect type is empty.", nameof(sample));
        }

        if (float.IsNaN(sample.ImageScore))
        {
            throw new ArgumentException($"{name}: the image score is NaN.", nameof(sample));
        }

        var pixels = Height * Width;
        CheckMap(sample.AnomalyMap, "anomaly map", name, pixels);
        CheckMap(sample.SmoothedMap, "smoothed map", name, pixels);
        var defectivePixels = 0;
        if (sample.Mask is not null)
        {
            if (sample.Mask.Length != pixels)
            {
                throw new ArgumentException($"{name}: the mask has {sample.Mask.Length} values, expected {Height}x{Width} = {pixels}.", nameof(sample));
            }

            foreach (var defective in sample.Mask)
            {
                defectivePixels += defective ? 1 : 0;
            }

            if (!sample.IsDefective && defectivePixels > 0)
            {
                throw new ArgumentException($"{name}: the image is labelled normal but its mask marks {defectivePixels} defective pixels.", nameof(sample));
            }
        }

        // A normal image's mask is all normal by definition, so it need not be kept.
        var mask = sample.IsDefective ? sample.Mask : null;
        var maskKnown = !sample.IsDefective || sample.Mask is not null;
        entries.Add(new Entry(sample.DefectType, sample.IsDefective, sample.ImageScore, sample.AnomalyMap, sample.SmoothedMap, mask, maskKnown, defectivePixels));
        return this;
    }

    /// <summary>Adds several images in order.</summary>
    /// <exception cref="ArgumentException">A sample is invalid (see <see cref="Add"/>); the samples before it stay added.</exception>
    public EvaluationReportBuilder AddRange(IEnumerable<EvaluationSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        foreach (var sample in samples)
        {
            Add(sample);
        }

        return this;
    }

    /// <summary>Computes every metric over all images and per defect type; metrics undefined on a subset are null with a reason.</summary>
    /// <exception cref="InvalidOperationException">No sample was added.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public EvaluationReport Build(CancellationToken cancellationToken = default)
    {
        if (entries.Count == 0)
        {
            throw new InvalidOperationException("Cannot build an evaluation report: no sample was added.");
        }

        var all = Enumerable.Range(0, entries.Count).ToArray();
        var normals = all.Where(i => !entries[i].IsDefective).ToArray();
        var overall = Evaluate(EvaluationReport.OverallName, all, cancellationToken);

        var types = new List<MetricSet>();
        foreach (var type in entries.Where(e => e.IsDefective).Select(e => e.DefectType).Distinct().Order(StringComparer.Ordinal))
        {
            var subset = all.Where(i => !entries[i].IsDefective || entries[i].DefectType == type).ToArray();

            // With a single defect type the subset is the whole set: reuse the overall numbers.
            types.Add(subset.Length == all.Length ? overall with { Subset = type } : Evaluate(type, subset, cancellationToken));
        }

        return new EvaluationReport
        {
            CreatedUtc = DateTime.UtcNow,
            MapHeight = Height,
            MapWidth = Width,
            AuproFprLimit = AuproFprLimit,
            Overall = overall,
            DefectTypes = types,
        };
    }

    private static void CheckMap(float[]? map, string what, string name, int pixels)
    {
        if (map is null)
        {
            return;
        }

        if (map.Length != pixels)
        {
            throw new ArgumentException($"{name}: the {what} has {map.Length} values, expected {pixels}.", "sample");
        }

        var nan = Array.FindIndex(map, float.IsNaN);
        if (nan >= 0)
        {
            throw new ArgumentException($"{name}: {what} value {nan} is NaN.", "sample");
        }
    }

    private MetricSet Evaluate(string subsetName, int[] images, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var undefined = new List<UndefinedMetric>();
        var defective = images.Count(i => entries[i].IsDefective);
        var normal = images.Length - defective;

        var scores = images.Select(i => entries[i].ImageScore).ToArray();
        var labels = images.Select(i => entries[i].IsDefective).ToArray();
        var imageRanked = RankedScores.Create(scores, labels, "Image scores");
        double? imageAuroc = null, f1 = null, f1Threshold = null;
        if (defective > 0 && normal > 0)
        {
            imageAuroc = BinaryMetrics.Auroc(imageRanked, "Image AUROC");
        }
        else
        {
            undefined.Add(new(MetricNames.ImageAuroc, $"needs defective and normal images ({defective} defective, {normal} normal)"));
        }

        if (defective > 0)
        {
            var best = BinaryMetrics.F1Max(imageRanked, "Image F1-max");
            f1 = best.F1;
            f1Threshold = best.Threshold;
        }
        else
        {
            undefined.Add(new(MetricNames.ImageF1Max, "needs at least one defective image"));
            undefined.Add(new(MetricNames.ImageF1Threshold, "needs at least one defective image"));
        }

        var pixelAuroc = UnsmoothedAuroc(images, undefined, cancellationToken);
        var smoothed = SmoothedMetrics(images, undefined, cancellationToken);
        return new MetricSet
        {
            Subset = subsetName,
            Images = images.Length,
            DefectiveImages = defective,
            NormalImages = normal,
            ImageAuroc = imageAuroc,
            PixelAuroc = pixelAuroc,
            PixelAurocSmoothed = smoothed.Auroc,
            Aupro = smoothed.Aupro,
            PixelAveragePrecision = smoothed.AveragePrecision,
            ImageF1Max = f1,
            ImageF1Threshold = f1Threshold,
            Undefined = undefined,
        };
    }

    private double? UnsmoothedAuroc(int[] images, List<UndefinedMetric> undefined, CancellationToken cancellationToken)
    {
        var problem = PixelProblem(images, e => e.AnomalyMap, "anomaly maps", needsNormalPixels: true);
        if (problem is not null)
        {
            undefined.Add(new(MetricNames.PixelAuroc, problem));
            return null;
        }

        var ranked = Gather(images, e => e.AnomalyMap!, "Pixel AUROC", withRegionWeights: false, cancellationToken).Ranked;
        return BinaryMetrics.Auroc(ranked, "Pixel AUROC");
    }

    private (double? Auroc, double? Aupro, double? AveragePrecision) SmoothedMetrics(int[] images, List<UndefinedMetric> undefined, CancellationToken cancellationToken)
    {
        var problem = PixelProblem(images, e => e.SmoothedMap, "smoothed maps", needsNormalPixels: false);
        if (problem is not null)
        {
            undefined.Add(new(MetricNames.PixelAurocSmoothed, problem));
            undefined.Add(new(MetricNames.Aupro, problem));
            undefined.Add(new(MetricNames.PixelAveragePrecision, problem));
            return (null, null, null);
        }

        var (ranked, regions) = Gather(images, e => e.SmoothedMap!, "Smoothed maps", withRegionWeights: true, cancellationToken);
        var average = BinaryMetrics.AveragePrecision(ranked, "Pixel average precision");
        if (ranked.Negatives == 0)
        {
            const string noNormal = "needs normal pixels and there are none";
            undefined.Add(new(MetricNames.PixelAurocSmoothed, noNormal));
            undefined.Add(new(MetricNames.Aupro, noNormal));
            return (null, null, average);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return (BinaryMetrics.Auroc(ranked, "Smoothed pixel AUROC"), Evaluation.Aupro.FromRanked(ranked, regions, AuproFprLimit), average);
    }

    /// <summary>Why pixel metrics cannot be computed on the subset, or null when they can.</summary>
    private string? PixelProblem(int[] images, Func<Entry, float[]?> map, string mapName, bool needsNormalPixels)
    {
        var missingMaps = images.Count(i => map(entries[i]) is null);
        if (missingMaps > 0)
        {
            return $"{mapName} missing for {missingMaps} of {images.Length} images";
        }

        var missingMasks = images.Count(i => !entries[i].MaskKnown);
        if (missingMasks > 0)
        {
            return $"ground-truth masks missing for {missingMasks} defective images";
        }

        var positives = images.Sum(i => (long)entries[i].DefectivePixels);
        if (positives == 0)
        {
            return "no defective pixel in the ground truth";
        }

        if (needsNormalPixels && positives == (long)images.Length * Height * Width)
        {
            return "no normal pixel in the ground truth";
        }

        return null;
    }

    private (RankedScores Ranked, int Regions) Gather(int[] images, Func<Entry, float[]> map, string what, bool withRegionWeights, CancellationToken cancellationToken)
    {
        var positives = images.Sum(i => (long)entries[i].DefectivePixels);
        var negatives = (long)images.Length * Height * Width - positives;
        var gatherer = new PixelScoreGatherer(what, positives, negatives, Height, Width, withRegionWeights);
        foreach (var i in images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            gatherer.Add(map(entries[i]), entries[i].Mask);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return (gatherer.Finish(), gatherer.Regions);
    }

    private sealed record Entry(
        string DefectType,
        bool IsDefective,
        float ImageScore,
        float[]? AnomalyMap,
        float[]? SmoothedMap,
        bool[]? Mask,
        bool MaskKnown,
        int DefectivePixels);
}

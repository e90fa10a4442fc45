namespace Anomaly.ED.Evaluation;

/// <summary>Area under the per-region overlap (PRO) curve up to a false-positive-rate limit, as the MVTec AD evaluation protocol defines it.</summary>
internal static class Aupro
{
    /// <summary>The MVTec AD protocol's default false-positive-rate limit.</summary>
    public const double DefaultFprLimit = 0.3;

    /// <summary>Computes the normalised AUPRO of anomaly maps against ground-truth masks.</summary>
    /// <param name="maps">Anomaly maps, image after image, each <paramref name="height"/> x <paramref name="width"/> in row-major order.</param>
    /// <param name="masks">Ground truth of the same layout: true where the pixel is defective.</param>
    /// <param name="height">Map height in pixels.</param>
    /// <param name="width">Map width in pixels.</param>
    /// <param name="fprLimit">Upper end of the false-positive-rate range; the area is divided by it, so a perfect detector scores 1.</param>
    /// <returns>The area over [0, <paramref name="fprLimit"/>] of the PRO curve, divided by <paramref name="fprLimit"/>.</returns>
    /// <remarks>Regions are the 8-connected components of each mask. Every distinct score is a threshold (score &gt;= t is defective); the curve runs from (0,0) to (1,1) with linear segments, the segment crossing the limit is cut there, and the area is taken with the trapezoid rule.</remarks>
    /// <exception cref="ArgumentException">Sizes disagree, the limit is outside (0, 1], or there is no defective or no normal pixel.</exception>
    public static double Compute(ReadOnlySpan<float> maps, ReadOnlySpan<bool> masks, int height, int width, double fprLimit = DefaultFprLimit)
    {
        if (height <= 0 || width <= 0 || maps.Length % (height * width) != 0)
        {
            throw new ArgumentException($"AUPRO: {maps.Length} map values are not a whole number of {height}x{width} maps.");
        }

        if (masks.Length != maps.Length)
        {
            throw new ArgumentException($"AUPRO: {maps.Length} map values but {masks.Length} mask values.");
        }

        if (!(fprLimit > 0 && fprLimit <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fprLimit), fprLimit, "AUPRO: the false-positive-rate limit must lie in (0, 1].");
        }

        long positives = 0;
        foreach (var defective in masks)
        {
            positives += defective ? 1 : 0;
        }

        var pixels = height * width;
        var gatherer = new PixelScoreGatherer("AUPRO", positives, masks.Length - positives, height, width, withRegionWeights: true);
        for (var offset = 0; offset < maps.Length; offset += pixels)
        {
            gatherer.Add(maps.Slice(offset, pixels), masks.Slice(offset, pixels));
        }

        return FromRanked(gatherer.Finish(), gatherer.Regions, fprLimit);
    }

    /// <summary>AUPRO from pixels gathered with region weights (each defective pixel weighs 1 / its region's size).</summary>
    internal static double FromRanked(RankedScores ranked, int regions, double fprLimit)
    {
        if (regions == 0 || ranked.Negatives == 0)
        {
            throw new ArgumentException($"AUPRO needs defective and normal pixels ({regions} defective regions, {ranked.Negatives} normal pixels).");
        }

        // PRO(t) is the mean over regions of the detected fraction: the detected weight divided by the region count.
        double area = 0, previousFpr = 0, previousPro = 0;
        foreach (var (_, _, falsePositives, weight) in ranked.Thresholds())
        {
            var fpr = falsePositives / (double)ranked.Negatives;
            var pro = weight / regions;
            if (AddSegment(ref area, previousFpr, previousPro, fpr, pro, fprLimit))
            {
                return area / fprLimit;
            }

            previousFpr = fpr;
            previousPro = pro;
        }

        AddSegment(ref area, previousFpr, previousPro, 1.0, 1.0, fprLimit);
        return area / fprLimit;
    }

    /// <summary>Adds the trapezoid of one curve segment, cut at the limit; returns true once the limit is reached.</summary>
    private static bool AddSegment(ref double area, double x0, double y0, double x1, double y1, double limit)
    {
        if (x1 < limit)
        {
            area += (x1 - x0) * (y0 + y1) / 2.0;
            return false;
        }

        var yAtLimit = x1 == x0 ? y1 : y0 + (y1 - y0) * (limit - x0) / (x1 - x0);
        area += (limit - x0) * (y0 + yAtLimit) / 2.0;
        return true;
    }
}

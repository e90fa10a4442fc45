namespace Anomaly.ED.Evaluation;

/// <summary>
/// Copies the pixels of several maps, image by image, straight into the class-split arrays of a <see cref="RankedScores"/>,
/// optionally with AUPRO's per-pixel weight 1 / (size of the pixel's ground-truth region).
/// </summary>
/// <remarks>The class counts are known in advance, so each array is allocated once at its final size and no subset is copied twice.</remarks>
internal sealed class PixelScoreGatherer
{
    private readonly string what;
    private readonly int height;
    private readonly int width;
    private readonly float[] positives;
    private readonly float[] negatives;
    private readonly double[]? weights;
    private readonly int[]? regionLabels;
    private int positiveCount;
    private int negativeCount;
    private long pixelsSeen;

    public PixelScoreGatherer(string what, long positives, long negatives, int height, int width, bool withRegionWeights)
    {
        if (positives + negatives > Array.MaxLength)
        {
            throw new NotSupportedException($"{what}: {positives + negatives} pixels exceed the {Array.MaxLength} that one evaluation can hold; evaluate a smaller subset.");
        }

        this.what = what;
        this.height = height;
        this.width = width;
        this.positives = new float[positives];
        this.negatives = new float[negatives];
        if (withRegionWeights)
        {
            weights = new double[positives];
            regionLabels = new int[height * width];
        }
    }

    /// <summary>The number of 8-connected ground-truth regions seen so far (counted only with region weights).</summary>
    public int Regions { get; private set; }

    /// <summary>Adds one map; an empty <paramref name="mask"/> means the image has no defective pixel.</summary>
    public void Add(ReadOnlySpan<float> map, ReadOnlySpan<bool> mask)
    {
        List<int>? sizes = null;
        if (regionLabels is not null && !mask.IsEmpty)
        {
            sizes = ConnectedRegions.Label(mask, height, width, regionLabels);
            Regions += sizes.Count;
        }

        for (var p = 0; p < map.Length; p++)
        {
            var value = map[p];
            if (float.IsNaN(value))
            {
                throw new ArgumentException($"{what}: map value {pixelsSeen + p} is NaN.");
            }

            if (!mask.IsEmpty && mask[p])
            {
                if (weights is not null)
                {
                    weights[positiveCount] = 1.0 / sizes![regionLabels![p] - 1];
                }

                positives[positiveCount++] = value;
            }
            else
            {
                negatives[negativeCount++] = value;
            }
        }

        pixelsSeen += map.Length;
    }

    /// <summary>Sorts the gathered pixels; every planned pixel must have been added.</summary>
    public RankedScores Finish()
    {
        if (positiveCount != positives.Length || negativeCount != negatives.Length)
        {
            throw new InvalidOperationException($"{what}: gathered {positiveCount} defective and {negativeCount} normal pixels, planned {positives.Length} and {negatives.Length}.");
        }

        return RankedScores.FromUnsorted(positives, negatives, weights);
    }
}

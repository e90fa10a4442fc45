namespace Anomaly.ED.Evaluation;

/// <summary>
/// Scores split by label, each class sorted in increasing order, walked as distinct thresholds from the highest down.
/// Positives may carry a weight each (AUPRO's 1 / region size).
/// </summary>
/// <remarks>
/// Keeping the classes apart means the sort needs no label or index array beside the scores: 4 bytes a negative
/// (the bulk of the pixels) instead of 4 + 1 or 4 + 4 + 8. Pixel metrics over large test sets are bounded by this.
/// </remarks>
internal sealed class RankedScores
{
    private readonly float[] positives;
    private readonly float[] negatives;
    private readonly double[]? positiveWeights;

    private RankedScores(float[] positives, float[] negatives, double[]? positiveWeights)
    {
        this.positives = positives;
        this.negatives = negatives;
        this.positiveWeights = positiveWeights;
    }

    public long Positives => positives.Length;

    public long Negatives => negatives.Length;

    /// <summary>The highest score of either class.</summary>
    public float Maximum => Math.Max(
        positives.Length > 0 ? positives[^1] : float.NegativeInfinity,
        negatives.Length > 0 ? negatives[^1] : float.NegativeInfinity);

    public static RankedScores Create(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, string what)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException($"{what}: {scores.Length} scores but {labels.Length} labels.");
        }

        if (scores.Length == 0)
        {
            throw new ArgumentException($"{what}: there are no scores.");
        }

        var positiveCount = 0;
        foreach (var label in labels)
        {
            positiveCount += label ? 1 : 0;
        }

        var positives = new float[positiveCount];
        var negatives = new float[scores.Length - positiveCount];
        int p = 0, n = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (float.IsNaN(scores[i]))
            {
                throw new ArgumentException($"{what}: score {i} is NaN.");
            }

            if (labels[i])
            {
                positives[p++] = scores[i];
            }
            else
            {
                negatives[n++] = scores[i];
            }
        }

        return FromUnsorted(positives, negatives, null);
    }

    /// <summary>Sorts the arrays in place (weights follow their positives) and takes ownership of them; the caller has rejected NaN.</summary>
    public static RankedScores FromUnsorted(float[] positives, float[] negatives, double[]? positiveWeights)
    {
        if (positiveWeights is null)
        {
            FloatRadixSort.Sort(positives);
        }
        else
        {
            FloatRadixSort.Sort(positives, positiveWeights);
        }

        FloatRadixSort.Sort(negatives);
        return new RankedScores(positives, negatives, positiveWeights);
    }

    /// <summary>
    /// Visits each distinct threshold from the highest down, with the cumulative true and false positives at
    /// score &gt;= threshold and the cumulative weight of those true positives (0 without weights).
    /// </summary>
    public IEnumerable<(float Threshold, long TruePositives, long FalsePositives, double Weight)> Thresholds()
    {
        long tp = 0, fp = 0;
        double weight = 0;
        int p = positives.Length - 1, n = negatives.Length - 1;
        while (p >= 0 || n >= 0)
        {
            var threshold = p < 0 ? negatives[n] : n < 0 ? positives[p] : Math.Max(positives[p], negatives[n]);
            while (p >= 0 && positives[p] == threshold)
            {
                weight += positiveWeights is null ? 0 : positiveWeights[p];
                tp++;
                p--;
            }

            while (n >= 0 && negatives[n] == threshold)
            {
                fp++;
                n--;
            }

            yield return (threshold, tp, fp, weight);
        }
    }

    /// <summary>ROC area from exact pair counts: each positive-negative pair counts 1 when ordered correctly and 1/2 when tied.</summary>
    public double Auroc()
    {
        // Twice the count of correctly ordered pairs, kept integral: at most 2PN <= 2^61, as P + N fits in one array.
        long twiceCorrect = 0, previousFp = 0, previousTp = 0;
        foreach (var (_, tp, fp, _) in Thresholds())
        {
            long positivesHere = tp - previousTp, negativesHere = fp - previousFp;
            twiceCorrect += positivesHere * (2 * (Negatives - fp) + negativesHere);
            previousTp = tp;
            previousFp = fp;
        }

        return twiceCorrect / (2.0 * Positives * Negatives);
    }
}

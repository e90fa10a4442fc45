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
    /// <remarks>A struct that <c>foreach</c> binds to directly, so that the walks over millions of pixel thresholds make no
    /// interface call per threshold, as an iterator method's do: 15 ms per walk over 2.6 million scores.</remarks>
    public ThresholdWalk Thresholds() => new(this);

    /// <summary>The walk of <see cref="Thresholds"/>: its own enumerator, for <c>foreach</c>.</summary>
    internal struct ThresholdWalk(RankedScores ranked)
    {
        private readonly float[] positives = ranked.positives;
        private readonly float[] negatives = ranked.negatives;
        private readonly double[]? weights = ranked.positiveWeights;
        private int p = ranked.positives.Length - 1;
        private int n = ranked.negatives.Length - 1;
        private long tp;
        private long fp;
        private double weight;

        /// <summary>The threshold just visited and the cumulative counts and weight at it.</summary>
        public (float Threshold, long TruePositives, long FalsePositives, double Weight) Current { get; private set; }

        /// <summary>This walk, from its start.</summary>
        public readonly ThresholdWalk GetEnumerator() => this;

        /// <summary>Steps to the next lower distinct threshold; false after the lowest.</summary>
        public bool MoveNext()
        {
            if (p < 0 && n < 0)
            {
                return false;
            }

            var threshold = p < 0 ? negatives[n] : n < 0 ? positives[p] : Math.Max(positives[p], negatives[n]);
            while (p >= 0 && positives[p] == threshold)
            {
                weight += weights is null ? 0 : weights[p];
                tp++;
                p--;
            }

            while (n >= 0 && negatives[n] == threshold)
            {
                fp++;
                n--;
            }

            Current = (threshold, tp, fp, weight);
            return true;
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

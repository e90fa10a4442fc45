namespace Anomaly.ED.Evaluation;

/// <summary>Scores sorted in decreasing order with their labels, grouped into runs of equal score (thresholds).</summary>
internal sealed class RankedScores
{
    private RankedScores(float[] scores, bool[] labels, int positives)
    {
        Scores = scores;
        Labels = labels;
        Positives = positives;
    }

    /// <summary>Scores in decreasing order.</summary>
    public float[] Scores { get; }

    /// <summary>Labels in the order of <see cref="Scores"/>.</summary>
    public bool[] Labels { get; }

    public int Positives { get; }

    public int Negatives => Scores.Length - Positives;

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

        var keys = new float[scores.Length];
        var sortedLabels = new bool[scores.Length];
        var positives = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (float.IsNaN(scores[i]))
            {
                throw new ArgumentException($"{what}: score {i} is NaN.");
            }

            // Negated so that an ascending sort gives decreasing scores.
            keys[i] = -scores[i];
            sortedLabels[i] = labels[i];
            positives += labels[i] ? 1 : 0;
        }

        Array.Sort(keys, sortedLabels);
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = -keys[i];
        }

        return new RankedScores(keys, sortedLabels, positives);
    }

    /// <summary>Visits each distinct threshold from the highest down, with cumulative true and false positives at score &gt;= threshold.</summary>
    public IEnumerable<(float Threshold, long TruePositives, long FalsePositives)> Thresholds()
    {
        long tp = 0, fp = 0;
        var i = 0;
        while (i < Scores.Length)
        {
            var threshold = Scores[i];
            while (i < Scores.Length && Scores[i] == threshold)
            {
                if (Labels[i])
                {
                    tp++;
                }
                else
                {
                    fp++;
                }

                i++;
            }

            yield return (threshold, tp, fp);
        }
    }
}

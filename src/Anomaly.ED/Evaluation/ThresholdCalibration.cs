namespace Anomaly.ED.Evaluation;

/// <summary>Chooses the decision threshold of a detector from validation image scores.</summary>
internal static class ThresholdCalibration
{
    /// <summary>
    /// The smallest threshold at which at most floor(<paramref name="falsePositiveRate"/> * n) of the n normal scores are
    /// flagged (score &gt;= threshold): the float just above the (k+1)-th largest score, k = floor(fpr * n).
    /// </summary>
    /// <remarks>
    /// Tied scores fall on the same side, so ties can only lower the validation false-positive rate below the target,
    /// never raise it. With fewer than 1 / fpr scores, k is 0 and the threshold lies just above the largest score.
    /// </remarks>
    /// <param name="normalScores">Image scores of validation images that are all normal.</param>
    /// <param name="falsePositiveRate">The target rate of normal images flagged, in (0, 1).</param>
    /// <exception cref="ArgumentException">There are no scores or a score is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="falsePositiveRate"/> is outside (0, 1).</exception>
    public static double AtFalsePositiveRate(ReadOnlySpan<float> normalScores, double falsePositiveRate)
    {
        if (!(falsePositiveRate > 0 && falsePositiveRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(falsePositiveRate), falsePositiveRate, "The target false-positive rate must lie in (0, 1).");
        }

        RequireFinite(normalScores, nameof(normalScores));
        var sorted = normalScores.ToArray();
        Array.Sort(sorted);

        // k may be flagged; the (k+1)-th largest must not be, so the threshold sits one float above it.
        var allowed = (int)Math.Floor(falsePositiveRate * sorted.Length);
        var firstKept = sorted[sorted.Length - 1 - allowed];
        return MathF.BitIncrement(firstKept);
    }

    /// <summary>The threshold maximising image F1 on a labelled validation set (<see cref="BinaryMetrics.F1Max(ReadOnlySpan{float}, ReadOnlySpan{bool})"/>'s rule: the lowest threshold among equal maxima).</summary>
    /// <exception cref="ArgumentException">Lengths differ, a score is not finite, or the set lacks normal or defective images.</exception>
    public static F1MaxResult AtF1Max(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        RequireFinite(scores, nameof(scores));
        var defective = 0;
        foreach (var label in labels)
        {
            defective += label ? 1 : 0;
        }

        if (scores.Length == labels.Length && (defective == 0 || defective == labels.Length))
        {
            throw new ArgumentException($"F1 calibration needs normal and defective validation images ({defective} defective, {labels.Length - defective} normal).", nameof(labels));
        }

        return BinaryMetrics.F1Max(scores, labels);
    }

    /// <summary>Calibrates from normal validation images only: the threshold of <see cref="AtFalsePositiveRate"/>, and optionally the min-max normalisation of those scores.</summary>
    /// <exception cref="ArgumentException">As <see cref="AtFalsePositiveRate"/>; with normalisation also when all scores are equal.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="falsePositiveRate"/> is outside (0, 1).</exception>
    public static Calibration FromNormalScores(ReadOnlySpan<float> normalScores, double falsePositiveRate, bool normalize = true)
    {
        var threshold = AtFalsePositiveRate(normalScores, falsePositiveRate);
        return new Calibration(threshold, normalize ? ScoreNormalization.FromScores(normalScores, threshold) : null);
    }

    /// <summary>Calibrates from a labelled validation set: the F1-max threshold, and optionally the min-max normalisation of all its scores (as anomalib).</summary>
    /// <exception cref="ArgumentException">As <see cref="AtF1Max"/>.</exception>
    public static Calibration FromLabelledScores(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, bool normalize = true)
    {
        var threshold = AtF1Max(scores, labels).Threshold;
        return new Calibration(threshold, normalize ? ScoreNormalization.FromScores(scores, threshold) : null);
    }

    private static void RequireFinite(ReadOnlySpan<float> scores, string parameter)
    {
        if (scores.IsEmpty)
        {
            throw new ArgumentException("Threshold calibration needs at least one validation score.", parameter);
        }

        for (var i = 0; i < scores.Length; i++)
        {
            if (!float.IsFinite(scores[i]))
            {
                throw new ArgumentException($"Threshold calibration: validation score {i} is not finite ({scores[i]}).", parameter);
            }
        }
    }
}

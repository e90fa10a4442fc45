namespace Anomaly.ED.Evaluation;

/// <summary>
/// A receiver operating characteristic curve: the false and true positive rates at each distinct score threshold,
/// from the highest down, starting at (0, 0). Its area equals <see cref="BinaryMetrics.Auroc(ReadOnlySpan{float}, ReadOnlySpan{bool})"/> on the same scores.
/// </summary>
public sealed class RocCurve
{
    private RocCurve(double[] falsePositiveRates, double[] truePositiveRates, float[] thresholds, double auroc)
    {
        FalsePositiveRates = falsePositiveRates;
        TruePositiveRates = truePositiveRates;
        Thresholds = thresholds;
        Auroc = auroc;
    }

    /// <summary>The false positive rate of each point, increasing from 0 to 1.</summary>
    public IReadOnlyList<double> FalsePositiveRates { get; }

    /// <summary>The true positive rate of each point, increasing from 0 to 1.</summary>
    public IReadOnlyList<double> TruePositiveRates { get; }

    /// <summary>The threshold of each point (a score is positive when at or above it); the first is +infinity.</summary>
    public IReadOnlyList<float> Thresholds { get; }

    /// <summary>The exact area under the curve (ties count one half), computed from every threshold.</summary>
    public double Auroc { get; }

    /// <summary>Computes the curve of <paramref name="scores"/> against <paramref name="labels"/> (true = defective).</summary>
    /// <param name="scores">One score per image or pixel; higher means more anomalous.</param>
    /// <param name="labels">Whether each sample is positive.</param>
    /// <param name="maxPoints">
    /// At most this many points are kept (at least 2): on millions of pixels every threshold is a point, so points closer than
    /// 1 / <paramref name="maxPoints"/> in both rates to the last kept one are dropped; the area is always exact.
    /// </param>
    /// <returns>The curve.</returns>
    /// <exception cref="ArgumentException">The lengths differ, a score is NaN, or one of the classes is absent.</exception>
    public static RocCurve Compute(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, int maxPoints = 2000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 2);
        var ranked = RankedScores.Create(scores, labels, "ROC curve");
        if (ranked.Positives == 0 || ranked.Negatives == 0)
        {
            throw new ArgumentException($"A ROC curve needs positive and negative samples; got {ranked.Positives} positive and {ranked.Negatives} negative.", nameof(labels));
        }

        var step = 1.0 / maxPoints;
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        var thresholds = new List<float> { float.PositiveInfinity };
        foreach (var (threshold, tp, fp, _) in ranked.Thresholds())
        {
            double x = (double)fp / ranked.Negatives, y = (double)tp / ranked.Positives;
            var last = x == 1 && y == 1;
            if (last || x - fpr[^1] >= step || y - tpr[^1] >= step)
            {
                fpr.Add(x);
                tpr.Add(y);
                thresholds.Add(threshold);
            }
        }

        return new RocCurve([.. fpr], [.. tpr], [.. thresholds], ranked.Auroc());
    }
}

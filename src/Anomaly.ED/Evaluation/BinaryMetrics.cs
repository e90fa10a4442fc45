namespace Anomaly.ED.Evaluation;

/// <summary>Threshold-free metrics of scores against binary labels, equal to scikit-learn's definitions (ties included).</summary>
internal static class BinaryMetrics
{
    /// <summary>Area under the ROC curve: the fraction of (positive, negative) pairs ordered correctly, a tie counting one half (equal to scikit-learn's roc_auc_score and to the rank formula with average ranks).</summary>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or only one class is present.</exception>
    public static double Auroc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels) =>
        Auroc(RankedScores.Create(scores, labels, "AUROC"), "AUROC");

    /// <summary>Average precision as scikit-learn's average_precision_score: the step sum of precision times recall increments over distinct thresholds.</summary>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or there is no positive label.</exception>
    public static double AveragePrecision(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels) =>
        AveragePrecision(RankedScores.Create(scores, labels, "Average precision"), "Average precision");

    /// <summary>The largest F1 over all thresholds of the precision-recall curve and the threshold where it is reached (predict defective when score &gt;= threshold).</summary>
    /// <remarks>Follows scikit-learn's precision_recall_curve, which stops at the first threshold (from the top) reaching full recall; among equal F1 values the lowest threshold wins, as numpy's argmax over that increasing-threshold curve.</remarks>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or there is no positive label.</exception>
    public static F1MaxResult F1Max(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels) =>
        F1Max(RankedScores.Create(scores, labels, "F1-max"), "F1-max");

    /// <summary>AUROC of scores already split and sorted; <paramref name="what"/> names the quantity in errors.</summary>
    internal static double Auroc(RankedScores ranked, string what)
    {
        RequireBothClasses(ranked, what);
        return ranked.Auroc();
    }

    /// <summary>Average precision of scores already split and sorted.</summary>
    internal static double AveragePrecision(RankedScores ranked, string what)
    {
        if (ranked.Positives == 0)
        {
            throw new ArgumentException($"{what}: there is no positive label.");
        }

        double ap = 0, previousRecall = 0;
        foreach (var (_, tp, fp, _) in ranked.Thresholds())
        {
            var recall = tp / (double)ranked.Positives;
            var precision = tp / (double)(tp + fp);
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
        }

        return ap;
    }

    /// <summary>F1-max of scores already split and sorted.</summary>
    internal static F1MaxResult F1Max(RankedScores ranked, string what)
    {
        if (ranked.Positives == 0)
        {
            throw new ArgumentException($"{what}: there is no positive label.");
        }

        var best = new F1MaxResult(0, ranked.Maximum);
        foreach (var (threshold, tp, fp, _) in ranked.Thresholds())
        {
            var precision = tp / (double)(tp + fp);
            var recall = tp / (double)ranked.Positives;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);

            // Walking thresholds downward, ">=" keeps the lowest threshold among equal F1 values.
            if (f1 >= best.F1)
            {
                best = new F1MaxResult(f1, threshold);
            }

            if (tp == ranked.Positives)
            {
                break;
            }
        }

        return best;
    }

    private static void RequireBothClasses(RankedScores ranked, string what)
    {
        if (ranked.Positives == 0 || ranked.Negatives == 0)
        {
            throw new ArgumentException($"{what} is undefined when only one class is present ({ranked.Positives} positive, {ranked.Negatives} negative).");
        }
    }
}

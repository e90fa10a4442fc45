namespace Anomaly.ED.Evaluation;

/// <summary>Threshold-free metrics of scores against binary labels, equal to scikit-learn's definitions (ties included).</summary>
public static class BinaryMetrics
{
    /// <summary>Area under the ROC curve, computed with the rank formula and average ranks for tied scores (equal to scikit-learn's roc_auc_score).</summary>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or only one class is present.</exception>
    public static double Auroc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        var ranked = RankedScores.Create(scores, labels, "AUROC");
        RequireBothClasses(ranked, "AUROC");

        // Ranks count from the lowest score (1) upward; ranked.Scores is decreasing.
        var n = ranked.Scores.Length;
        double positiveRankSum = 0;
        var i = 0;
        while (i < n)
        {
            var j = i;
            var positivesInRun = 0;
            while (j < n && ranked.Scores[j] == ranked.Scores[i])
            {
                positivesInRun += ranked.Labels[j] ? 1 : 0;
                j++;
            }

            // Positions i..j-1 in decreasing order are ranks n-j+1 .. n-i ascending; their mean:
            var averageRank = ((n - j + 1) + (double)(n - i)) / 2.0;
            positiveRankSum += averageRank * positivesInRun;
            i = j;
        }

        double p = ranked.Positives;
        double q = ranked.Negatives;
        return (positiveRankSum - p * (p + 1) / 2.0) / (p * q);
    }

    /// <summary>Average precision as scikit-learn's average_precision_score: the step sum of precision times recall increments over distinct thresholds.</summary>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or there is no positive label.</exception>
    public static double AveragePrecision(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        var ranked = RankedScores.Create(scores, labels, "Average precision");
        if (ranked.Positives == 0)
        {
            throw new ArgumentException("Average precision: there is no positive label.");
        }

        double ap = 0, previousRecall = 0;
        foreach (var (_, tp, fp) in ranked.Thresholds())
        {
            var recall = tp / (double)ranked.Positives;
            var precision = tp / (double)(tp + fp);
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
        }

        return ap;
    }

    /// <summary>The largest F1 over all thresholds of the precision-recall curve and the threshold where it is reached (predict defective when score &gt;= threshold).</summary>
    /// <remarks>Follows scikit-learn's precision_recall_curve, which stops at the first threshold (from the top) reaching full recall; among equal F1 values the lowest threshold wins, as numpy's argmax over that increasing-threshold curve.</remarks>
    /// <exception cref="ArgumentException">Lengths differ, a score is NaN, or there is no positive label.</exception>
    public static F1MaxResult F1Max(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        var ranked = RankedScores.Create(scores, labels, "F1-max");
        if (ranked.Positives == 0)
        {
            throw new ArgumentException("F1-max: there is no positive label.");
        }

        var best = new F1MaxResult(0, ranked.Scores[0]);
        foreach (var (threshold, tp, fp) in ranked.Thresholds())
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

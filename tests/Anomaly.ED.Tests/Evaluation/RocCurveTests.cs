using Anomaly.ED.Evaluation;

namespace Anomaly.ED.Tests.Evaluation;

public sealed class RocCurveTests
{
    [Fact]
    public void The_curve_runs_from_origin_to_one_through_each_threshold_and_its_area_is_the_auroc()
    {
        float[] scores = [0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f];
        bool[] labels = [true, false, true, true, false, false];

        var curve = RocCurve.Compute(scores, labels);

        curve.FalsePositiveRates.Should().Equal(0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 2.0 / 3, 1);
        curve.TruePositiveRates.Should().Equal(0, 1.0 / 3, 1.0 / 3, 2.0 / 3, 1, 1, 1);
        curve.Thresholds[0].Should().Be(float.PositiveInfinity);
        curve.Thresholds.Skip(1).Should().Equal(scores);
        curve.Auroc.Should().BeApproximately(BinaryMetrics.Auroc(scores, labels), 1e-12).And.BeApproximately(7.0 / 9, 1e-12);
    }

    [Fact]
    public void Many_samples_are_thinned_to_at_most_the_requested_points_without_changing_the_area()
    {
        var random = new Random(3);
        var labels = Enumerable.Range(0, 20000).Select(_ => random.NextDouble() < 0.1).ToArray();
        var scores = labels.Select(l => (float)(random.NextDouble() + (l ? 0.5 : 0))).ToArray();

        var curve = RocCurve.Compute(scores, labels, maxPoints: 100);

        curve.FalsePositiveRates.Count.Should().BeLessThanOrEqualTo(2 * 100 + 2);
        (curve.FalsePositiveRates[^1], curve.TruePositiveRates[^1]).Should().Be((1.0, 1.0));
        curve.FalsePositiveRates.Should().BeInAscendingOrder();
        curve.TruePositiveRates.Should().BeInAscendingOrder();
        curve.Auroc.Should().BeApproximately(BinaryMetrics.Auroc(scores, labels), 1e-12);
    }

    [Fact]
    public void One_class_only_is_rejected_with_the_counts()
    {
        var act = () => RocCurve.Compute([0.1f, 0.2f], [false, false]);

        act.Should().Throw<ArgumentException>().WithMessage("*0 positive and 2 negative*");
    }
}

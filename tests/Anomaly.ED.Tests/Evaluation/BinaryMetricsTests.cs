using Anomaly.ED.Evaluation;

namespace Anomaly.ED.Tests.Evaluation;

public sealed class BinaryMetricsTests
{
    [Fact]
    public void AurocIsOneForPerfectSeparationAndZeroWhenReversed()
    {
        var labels = new[] { false, false, true, true };
        BinaryMetrics.Auroc(new[] { 0.1f, 0.2f, 0.8f, 0.9f }, labels).Should().Be(1.0);
        BinaryMetrics.Auroc(new[] { 0.9f, 0.8f, 0.2f, 0.1f }, labels).Should().Be(0.0);
    }

    [Fact]
    public void AurocCountsTiesAsHalf()
    {
        // One positive tied with one negative, the other positive above everything: (1 + 0.5 + 1 + 1) / 4.
        var scores = new[] { 0.5f, 0.5f, 0.1f, 0.9f };
        var labels = new[] { true, false, false, true };
        BinaryMetrics.Auroc(scores, labels).Should().Be(0.875);
        BinaryMetrics.Auroc(new[] { 1f, 1f, 1f, 1f }, labels).Should().Be(0.5);
    }

    [Fact]
    public void AveragePrecisionIsTheStepSum()
    {
        // Descending: 0.9 (P), 0.8 (N), 0.7 (P): AP = 0.5 * 1 + 0.5 * (2/3).
        var ap = BinaryMetrics.AveragePrecision(new[] { 0.9f, 0.8f, 0.7f }, new[] { true, false, true });
        ap.Should().BeApproximately(0.5 + 0.5 * 2.0 / 3.0, 1e-15);
    }

    [Fact]
    public void F1MaxReturnsTheThresholdOfTheBestSplit()
    {
        var result = BinaryMetrics.F1Max(new[] { 0.9f, 0.8f, 0.3f, 0.2f }, new[] { true, true, false, false });
        result.F1.Should().Be(1.0);
        result.Threshold.Should().Be(0.8f);
    }

    [Fact]
    public void InvalidInputsGiveSpecificErrors()
    {
        var act1 = () => BinaryMetrics.Auroc(new[] { 0.1f, 0.2f }, new[] { true, true });
        act1.Should().Throw<ArgumentException>().WithMessage("*only one class*");
        var act2 = () => BinaryMetrics.Auroc(new[] { 0.1f }, new[] { true, false });
        act2.Should().Throw<ArgumentException>().WithMessage("*1 scores but 2 labels*");
        var act3 = () => BinaryMetrics.AveragePrecision(new[] { float.NaN, 0.2f }, new[] { true, false });
        act3.Should().Throw<ArgumentException>().WithMessage("*NaN*");
    }
}

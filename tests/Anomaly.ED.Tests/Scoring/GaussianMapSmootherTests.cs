using Anomaly.ED.Methods.Ed.Scoring;
using Anomaly.ED.Scoring;

namespace Anomaly.ED.Tests.Scoring;

public sealed class GaussianMapSmootherTests
{
    [Fact]
    public void ConstantMapStaysConstantAndKernelSumsToOne()
    {
        var smoother = new GaussianMapSmoother(2.0);
        smoother.Weights.Sum().Should().BeApproximately(1.0, 1e-15);
        var output = smoother.Smooth(Enumerable.Repeat(0.25f, 5 * 7).ToArray(), 5, 7);
        output.Should().OnlyContain(v => Math.Abs(v - 0.25f) < 1e-7f);
    }

    [Fact]
    public void ImpulseSpreadsSymmetrically()
    {
        var map = new float[9 * 9];
        map[4 * 9 + 4] = 1f;
        var output = new GaussianMapSmoother(1.0).Smooth(map, 9, 9);
        output[4 * 9 + 3].Should().Be(output[4 * 9 + 5]);
        output[3 * 9 + 4].Should().Be(output[5 * 9 + 4]);
        output.Max().Should().Be(output[4 * 9 + 4]);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var act = () => new GaussianMapSmoother(0);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("sigma");
        var wrongSize = () => new GaussianMapSmoother().Smooth(new float[10], 3, 3);
        wrongSize.Should().Throw<ArgumentException>().WithMessage("*3x3*");
    }
}

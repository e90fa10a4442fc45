using Anomaly.ED.Export.Int8;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Export.Int8;

public sealed class UInt8QuantizationTests
{
    [Theory]
    [InlineData(-1.5f, 3.0f)]
    [InlineData(0.25f, 2.0f)]
    [InlineData(-4.0f, -0.5f)]
    public void TheRangeWidenedToZeroMapsOntoAllCodesWithZeroExact(float min, float max)
    {
        var q = UInt8Quantization.Covering(new ActivationRange(min, max));

        var (low, high) = (Math.Min(min, 0f), Math.Max(max, 0f));
        q.Scale.Should().BeApproximately((high - low) / 255f, 1e-7f);
        (q.ZeroPoint * q.Scale).Should().BeApproximately(-low, q.Scale / 2, "code ZeroPoint is 0.0, so zero padding and ReLU zeros are exact");
        ((0 - q.ZeroPoint) * q.Scale).Should().BeApproximately(low, q.Scale, "code 0 is the range's low end");
        ((255 - q.ZeroPoint) * q.Scale).Should().BeApproximately(high, q.Scale, "code 255 is its high end");
    }

    [Fact]
    public void AnAllZeroTensorGetsAUsableScale() =>
        UInt8Quantization.Covering(new ActivationRange(0, 0)).Should().Be(new UInt8Quantization(1f, 0));

    [Fact]
    public void ANonFiniteCalibrationValueIsRefusedByName()
    {
        using var values = tensor(new[] { 1f, float.NaN });

        var act = () => ActivationRange.Of(values, "layer1.0.conv1");

        act.Should().Throw<InvalidOperationException>().WithMessage("*'layer1.0.conv1'*not finite*");
    }
}

using Anomaly.ED.Scoring;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.Tests.Visualization;

public sealed class MapResamplerTests
{
    [Fact]
    public void SameSizeGivesACopy()
    {
        var map = new AnomalyMap(1, 2, [1f, 2f]);
        var copy = MapResampler.Bilinear(map, 1, 2);
        copy.Values.Should().Equal(1f, 2f);
        copy.Values.Should().NotBeSameAs(map.Values);
    }

    [Fact]
    public void UpsamplingUsesPixelCentres()
    {
        // 1x2 -> 1x4: output centres at source positions -0.25, 0.25, 0.75, 1.25 (edges clamp).
        var map = new AnomalyMap(1, 2, [0f, 4f]);
        MapResampler.Bilinear(map, 1, 4).Values.Should().Equal(0f, 1f, 3f, 4f);
    }

    [Fact]
    public void SquareMapStretchesOverANonSquareImage()
    {
        // 2x2 map with value = 10 * row + column, resized to 4 rows x 6 columns.
        var map = new AnomalyMap(2, 2, [0f, 1f, 10f, 11f]);
        var resized = MapResampler.Bilinear(map, 4, 6);
        resized.Height.Should().Be(4);
        resized.Width.Should().Be(6);

        // Separable: rows follow the 1x2 -> 1x4 pattern (0, 2.5, 7.5, 10), columns the 1x2 -> 1x6 pattern.
        float[] rowWeights = [0f, 0.25f, 0.75f, 1f];
        float[] columnWeights = [0f, 0f, 1f / 3f, 2f / 3f, 1f, 1f];
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 6; x++)
            {
                resized[y, x].Should().BeApproximately((10f * rowWeights[y]) + columnWeights[x], 1e-5f, $"pixel ({y}, {x})");
            }
        }
    }

    [Fact]
    public void DownsamplingKeepsTheRangeAndConstantMapsStayConstant()
    {
        var values = Enumerable.Range(0, 64).Select(i => (float)Math.Sin(i)).ToArray();
        var resized = MapResampler.Bilinear(new AnomalyMap(8, 8, values), 3, 5);
        resized.Values.Should().OnlyContain(v => v >= values.Min() && v <= values.Max());
        MapResampler.Bilinear(new AnomalyMap(3, 3, Enumerable.Repeat(0.7f, 9).ToArray()), 7, 2).Values.Should().OnlyContain(v => v == 0.7f);
    }

    [Fact]
    public void SizesMustBePositive()
    {
        var map = new AnomalyMap(1, 1, [0f]);
        ((Action)(() => MapResampler.Bilinear(map, 0, 3))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("height");
        ((Action)(() => MapResampler.Bilinear(map, 3, -1))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("width");
    }
}

using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Scoring;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.Tests.Visualization;

public sealed class HeatmapTests
{
    [Fact]
    public void PerMapRangeSpansTheWholeScale()
    {
        var map = new AnomalyMap(2, 3, [0.2f, 0.4f, 0.6f, 0.8f, 1.0f, 1.2f]);
        var heat = Heatmap.Render(map, Colormap.Viridis);
        heat.Width.Should().Be(3);
        heat.Height.Should().Be(2);
        heat.Channels.Should().Be(3);
        Pixel(heat, 0, 0).Should().Be(Colormaps.GetColor(Colormap.Viridis, 0.0));
        Pixel(heat, 1, 2).Should().Be(Colormaps.GetColor(Colormap.Viridis, 1.0));
        Pixel(heat, 0, 2).Should().Be(Colormaps.GetColor(Colormap.Viridis, 0.4));
    }

    [Fact]
    public void ConstantMapTakesTheFirstColourUnderThePerMapRange()
    {
        var heat = Heatmap.Render(new AnomalyMap(2, 2, [3f, 3f, 3f, 3f]));
        for (var i = 0; i < 4; i++)
        {
            Pixel(heat, i / 2, i % 2).Should().Be(new RgbColor(0, 0, 127));
        }
    }

    [Fact]
    public void FixedRangeClipsAndKeepsImagesComparable()
    {
        var map = new AnomalyMap(1, 4, [-1f, 0.5f, 1f, 9f]);
        var heat = Heatmap.Render(map, Colormap.Jet, HeatmapRange.Unit);
        Pixel(heat, 0, 0).Should().Be(Colormaps.GetColor(Colormap.Jet, 0.0));
        Pixel(heat, 0, 1).Should().Be(Colormaps.GetColor(Colormap.Jet, 0.5));
        Pixel(heat, 0, 2).Should().Be(Colormaps.GetColor(Colormap.Jet, 1.0));
        Pixel(heat, 0, 3).Should().Be(Colormaps.GetColor(Colormap.Jet, 1.0));

        // The same value gets the same colour whatever else the map holds.
        var other = Heatmap.Render(new AnomalyMap(1, 2, [0.5f, 0.6f]), Colormap.Jet, HeatmapRange.Unit);
        Pixel(other, 0, 0).Should().Be(Pixel(heat, 0, 1));
    }

    [Fact]
    public void ThresholdCentredRangePutsTheThresholdInTheMiddle()
    {
        var range = HeatmapRange.CenteredOn(0.3, 0.1);
        range.Low.Should().BeApproximately(0.2, 1e-12);
        range.High.Should().BeApproximately(0.4, 1e-12);
        var heat = Heatmap.Render(new AnomalyMap(1, 3, [0.2f, 0.3f, 0.4f]), Colormap.Jet, range);
        Pixel(heat, 0, 0).Should().Be(Colormaps.GetColor(Colormap.Jet, 0.0));
        Pixel(heat, 0, 1).Should().Be(Colormaps.GetColor(Colormap.Jet, 0.5));
        Pixel(heat, 0, 2).Should().Be(Colormaps.GetColor(Colormap.Jet, 1.0));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteValuesAreRejectedWithTheirPosition(float bad)
    {
        var map = new AnomalyMap(2, 3, [0f, 0f, 0f, 0f, 0f, bad]);
        var act = () => Heatmap.Render(map);
        act.Should().Throw<ArgumentException>().WithParameterName("map").WithMessage("*row 1, column 2*");
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(2.0, 1.0)]
    [InlineData(double.NaN, 1.0)]
    [InlineData(0.0, double.PositiveInfinity)]
    public void FixedRangeNeedsFiniteIncreasingEnds(double low, double high)
    {
        var act = () => HeatmapRange.Fixed(low, high);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(0.5, 0.0)]
    [InlineData(0.5, -1.0)]
    [InlineData(double.NaN, 0.1)]
    public void CentredRangeNeedsAFiniteCentreAndPositiveHalfWidth(double threshold, double halfWidth)
    {
        var act = () => HeatmapRange.CenteredOn(threshold, halfWidth);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void PerMapRangeResolvesToTheMapsExtremes()
    {
        HeatmapRange.PerMap.Resolve(new AnomalyMap(1, 3, [0.5f, -2f, 4f])).Should().Be((-2.0, 4.0));
        HeatmapRange.Fixed(1, 2).Resolve(new AnomalyMap(1, 1, [9f])).Should().Be((1.0, 2.0));
    }

    [Fact]
    public void NormalizationRangeDrawsRawMapsAsTheirNormalisedValuesOnTheUnitRange()
    {
        var normalization = new ScoreNormalization(threshold: 2.0, minimum: 1.0, maximum: 5.0);
        var range = HeatmapRange.FromNormalization(normalization);
        (range.Low, range.High).Should().Be((0.0, 4.0));

        // Bin centres of the 256-entry table over [0, 4] (bin width 1/64), and a few beyond either end.
        var raw = Enumerable.Range(-2, 40).Select(k => (float)(((k * 7) + 0.5) / 64)).ToArray();
        var normalised = raw.Select(v => normalization.Apply(v)).ToArray();
        var fromRaw = Heatmap.Render(new AnomalyMap(1, raw.Length, raw), Colormap.Jet, range);
        var fromNormalised = Heatmap.Render(new AnomalyMap(1, raw.Length, normalised), Colormap.Jet, HeatmapRange.Unit);
        fromRaw.Pixels.Should().Equal(fromNormalised.Pixels);
    }

    [Fact]
    public void SpanningRangeCoversEveryMap()
    {
        var range = HeatmapRange.Spanning([new AnomalyMap(1, 2, [0.5f, 2f]), new AnomalyMap(1, 1, [-1f])]);
        range.IsPerMap.Should().BeFalse();
        (range.Low, range.High).Should().Be((-1.0, 2.0));

        ((Action)(() => HeatmapRange.Spanning([]))).Should().Throw<ArgumentException>().WithMessage("*at least one map*");
        ((Action)(() => HeatmapRange.Spanning([new AnomalyMap(1, 2, [3f, 3f])]))).Should().Throw<ArgumentException>().WithMessage("*is 3*");
        ((Action)(() => HeatmapRange.Spanning([new AnomalyMap(1, 1, [float.NaN])]))).Should().Throw<ArgumentException>().WithParameterName("maps");
    }

    internal static RgbColor Pixel(Anomaly.ED.Data.ImageBuffer image, int y, int x) => new(image[y, x, 0], image[y, x, 1], image[y, x, 2]);
}

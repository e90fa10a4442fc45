using Anomaly.ED.Visualization;

namespace Anomaly.ED.Tests.Visualization;

public sealed class ColormapsTests
{
    // matplotlib 3.6.3: matplotlib.colormaps['jet'](np.linspace(0, 1, 256), bytes=True)[i, :3].
    public static TheoryData<int, byte, byte, byte> MatplotlibJet => new()
    {
        { 0, 0, 0, 127 }, { 1, 0, 0, 132 }, { 28, 0, 0, 254 }, { 32, 0, 0, 255 }, { 64, 0, 128, 255 },
        { 89, 0, 228, 247 }, { 96, 21, 255, 225 }, { 127, 121, 255, 125 }, { 128, 124, 255, 121 },
        { 160, 228, 255, 18 }, { 168, 254, 237, 0 }, { 192, 255, 148, 0 }, { 224, 255, 29, 0 },
        { 232, 232, 0, 0 }, { 254, 132, 0, 0 }, { 255, 127, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(MatplotlibJet))]
    public void JetTableEqualsMatplotlib(int index, byte r, byte g, byte b)
    {
        Entry(Colormap.Jet, index).Should().Be(new RgbColor(r, g, b));
    }

    [Theory]
    [InlineData(Colormap.Jet, 0, 0, 127, 127, 0, 0)]
    [InlineData(Colormap.Viridis, 68, 1, 84, 253, 231, 36)]
    public void EndpointsAreTheFirstAndLastColours(Colormap colormap, byte r0, byte g0, byte b0, byte r1, byte g1, byte b1)
    {
        Colormaps.GetColor(colormap, 0.0).Should().Be(new RgbColor(r0, g0, b0));
        Colormaps.GetColor(colormap, 1.0).Should().Be(new RgbColor(r1, g1, b1));
        Colormaps.GetColor(colormap, -3.0).Should().Be(new RgbColor(r0, g0, b0), "values below 0 take the first colour");
        Colormaps.GetColor(colormap, 7.5).Should().Be(new RgbColor(r1, g1, b1), "values above 1 take the last colour");
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.25, 64)]
    [InlineData(0.5, 128)]
    [InlineData(0.999, 255)]
    [InlineData(1.0, 255)]
    [InlineData(0.003, 0)]
    [InlineData(0.004, 1)]
    public void ValuesAreBinnedAsMatplotlibBinsThem(double value, int index)
    {
        Colormaps.Index(value).Should().Be(index);
    }

    [Fact]
    public void JetRampsRiseAndFallWhereTheSegmentsSay()
    {
        // Red rises until x = 0.89 then falls; green rises until 0.64 then falls; blue rises until 0.11, holds, then falls.
        var red = Channel(Colormap.Jet, 0);
        var green = Channel(Colormap.Jet, 1);
        var blue = Channel(Colormap.Jet, 2);
        AssertRiseThenFall(red, peakEnd: 226, "red");
        AssertRiseThenFall(green, peakEnd: 163, "green");
        AssertRiseThenFall(blue, peakEnd: 29, "blue");
        red[..90].Should().OnlyContain(v => v == 0, "jet has no red below x = 0.35");
        blue[166..].Should().OnlyContain(v => v == 0, "jet has no blue above x = 0.65");
    }

    [Fact]
    public void ViridisGetsLighterAlongTheScale()
    {
        var green = Channel(Colormap.Viridis, 1);
        for (var i = 1; i < green.Length; i++)
        {
            green[i].Should().BeGreaterThanOrEqualTo(green[i - 1], $"viridis green never falls (entry {i})");
        }

        // 8-bit truncation makes three neighbouring pairs dip by under 0.0002 in luminance; every second entry rises.
        var luminance = Enumerable.Range(0, Colormaps.Size).Select(i => Luminance(Entry(Colormap.Viridis, i))).ToArray();
        for (var i = 2; i < luminance.Length; i += 2)
        {
            luminance[i].Should().BeGreaterThan(luminance[i - 2], $"viridis entry {i} is lighter than entry {i - 2}");
        }

        for (var i = 1; i < luminance.Length; i++)
        {
            luminance[i].Should().BeGreaterThan(luminance[i - 1] - 2e-4, $"entry {i}");
        }
    }

    [Fact]
    public void NaNAndUnknownColormapsAreRejected()
    {
        var nan = () => Colormaps.GetColor(Colormap.Jet, double.NaN);
        nan.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("value");
        var unknown = () => Colormaps.GetColor((Colormap)42, 0.5);
        unknown.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Jet, Viridis*");
    }

    private static RgbColor Entry(Colormap colormap, int index) => Colormaps.GetColor(colormap, (index + 0.5) / Colormaps.Size);

    private static byte[] Channel(Colormap colormap, int channel)
    {
        var table = Colormaps.Table(colormap).ToArray();
        return Enumerable.Range(0, Colormaps.Size).Select(i => table[(i * 3) + channel]).ToArray();
    }

    private static void AssertRiseThenFall(byte[] values, int peakEnd, string name)
    {
        for (var i = 1; i < values.Length; i++)
        {
            if (i <= peakEnd)
            {
                values[i].Should().BeGreaterThanOrEqualTo(values[i - 1], $"{name} rises up to entry {peakEnd} (entry {i})");
            }
            else
            {
                values[i].Should().BeLessThanOrEqualTo(values[i - 1], $"{name} falls after entry {peakEnd} (entry {i})");
            }
        }

        values.Max().Should().Be(255, $"{name} reaches full intensity");
    }

    private static double Luminance(RgbColor c) => (0.2126 * Linear(c.R)) + (0.7152 * Linear(c.G)) + (0.0722 * Linear(c.B));

    private static double Linear(byte v)
    {
        var s = v / 255.0;
        return s <= 0.04045 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
    }
}

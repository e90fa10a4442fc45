using Anomaly.ED.Cli.Output;
using Anomaly.ED.Data;

namespace Anomaly.ED.Cli.Tests.Output;

public sealed class PlotsTests
{
    [Theory]
    [InlineData(90, 60, 5)] // enlarged by a whole factor to at least 400 pixels on the longer side
    [InlineData(420, 300, 1)] // pixel for pixel
    public void A_heatmap_panel_holds_the_overlay_pixel_for_pixel_beside_its_caption_and_colour_bar(int width, int height, int factor)
    {
        var random = new Random(4);
        var pixels = new byte[width * height * 3];
        random.NextBytes(pixels);
        var overlay = new ImageBuffer(width, height, 3, pixels);

        var panel = ImageDecoder.DecodeRgb(Plots.HeatmapPanel(overlay, 0.1, 0.9, "good/000.png\nscore 0.5  normal"), "panel.png");

        panel.Width.Should().BeGreaterThan(width * factor, "the colour bar is beside the overlay");
        panel.Height.Should().BeGreaterThan(height * factor, "the caption is above it");

        // The data area starts after the left margin and below the caption; every overlay pixel fills a factor x factor block.
        var (left, top) = (Plots.PanelMargin, Plots.PanelTop);
        for (var y = 0; y < height * factor; y++)
        {
            for (var x = 0; x < width * factor; x++)
            {
                var expected = (((y / factor) * width) + (x / factor)) * 3;
                var actual = ((((top + y) * panel.Width) + left + x) * 3);
                if (panel.Pixels[actual] != pixels[expected] || panel.Pixels[actual + 1] != pixels[expected + 1] || panel.Pixels[actual + 2] != pixels[expected + 2])
                {
                    Assert.Fail($"panel pixel ({left + x}, {top + y}) is not overlay pixel ({x / factor}, {y / factor}).");
                }
            }
        }
    }
}

using Anomaly.ED.Data;
using Anomaly.ED.Scoring;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.Tests.Visualization;

public sealed class AnomalyPanelTests
{
    [Fact]
    public void FullPanelHasImageOverlayPredictedMaskAndGroundTruth()
    {
        const int width = 6, height = 4, gap = 2;
        var image = HeatmapOverlayTests.Gradient(width, height);

        // The right half of the map is hot; the mask marks the bottom row.
        var map = new AnomalyMap(height, width, Enumerable.Range(0, width * height).Select(i => i % width >= 3 ? 1f : 0f).ToArray());
        var mask = new ImageBuffer(width, height, 1);
        for (var x = 0; x < width; x++)
        {
            mask.Pixels[((height - 1) * width) + x] = 255;
        }

        var options = new VisualizationOptions { Threshold = 0.5, PanelGap = gap, PanelGapColor = new RgbColor(9, 9, 9) };
        var panel = AnomalyPanel.Render(image, map, mask, options);
        panel.Width.Should().Be((4 * width) + (3 * gap));
        panel.Height.Should().Be(height);
        panel.Channels.Should().Be(3);

        var overlay = HeatmapOverlay.Render(image, map, mask, options);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                Tile(panel, 0, y, x, width, gap).Should().Be(HeatmapTests.Pixel(image, y, x), $"image tile ({y}, {x})");
                Tile(panel, 1, y, x, width, gap).Should().Be(HeatmapTests.Pixel(overlay, y, x), $"overlay tile ({y}, {x})");
                Tile(panel, 2, y, x, width, gap).Should().Be(x >= 3 ? RgbColor.White : RgbColor.Black, $"predicted tile ({y}, {x})");
                Tile(panel, 3, y, x, width, gap).Should().Be(y == height - 1 ? RgbColor.White : RgbColor.Black, $"ground-truth tile ({y}, {x})");
            }

            for (var g = 0; g < gap; g++)
            {
                HeatmapTests.Pixel(panel, y, width + g).Should().Be(new RgbColor(9, 9, 9), "gaps take the gap colour");
            }
        }
    }

    [Fact]
    public void WithoutThresholdOrMaskThePanelHasTwoTiles()
    {
        var image = HeatmapOverlayTests.Gradient(5, 3);
        var panel = AnomalyPanel.Render(image, HeatmapOverlayTests.Map(2, 2), options: new VisualizationOptions { PanelGap = 0 });
        panel.Width.Should().Be(10);
        var overlay = HeatmapOverlay.Render(image, HeatmapOverlayTests.Map(2, 2));
        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < 5; x++)
            {
                Tile(panel, 0, y, x, 5, 0).Should().Be(HeatmapTests.Pixel(image, y, x));
                Tile(panel, 1, y, x, 5, 0).Should().Be(HeatmapTests.Pixel(overlay, y, x));
            }
        }

        AnomalyPanel.Render(image, HeatmapOverlayTests.Map(2, 2), new ImageBuffer(5, 3, 1)).Width
            .Should().Be((3 * 5) + (2 * VisualizationDefaults.PanelGap), "a mask adds the ground-truth tile");
    }

    private static RgbColor Tile(ImageBuffer panel, int tile, int y, int x, int tileWidth, int gap)
        => HeatmapTests.Pixel(panel, y, (tile * (tileWidth + gap)) + x);
}

using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Scoring;
using Anomaly.ED.Tests.Data;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.Tests.Visualization;

/// <summary>The usage example of docs/visualization.md, on generated files.</summary>
public sealed class DocumentationExampleTests
{
    [Fact]
    public void UsageExampleWritesOverlayPanelAndHeatmap()
    {
        using var temp = new TempDirectory();
        const int width = 48, height = 36;
        PngFile.Write(HeatmapOverlayTests.Gradient(width, height), temp.Combine("bottle/test/broken_large/000.png"));
        var truthPixels = new byte[width * height];
        for (var y = 10; y < 20; y++)
        {
            for (var x = 25; x < 35; x++)
            {
                truthPixels[(y * width) + x] = 255;
            }
        }

        PngFile.Write(new ImageBuffer(width, height, 1, truthPixels), temp.Combine("bottle/ground_truth/broken_large/000_mask.png"));
        var mapValues = new float[16 * 16];
        for (var i = 0; i < mapValues.Length; i++)
        {
            var (y, x) = (i / 16, i % 16);
            mapValues[i] = (float)Math.Exp(-((((y - 7) * (y - 7)) + ((x - 10) * (x - 10))) / 8.0));
        }

        var map = new AnomalyMap(16, 16, mapValues);
        var calibration = new Calibration(0.5, new ScoreNormalization(0.5, 0.0, 1.0));

        // As in the document:
        var image = ImageDecoder.DecodeRgb(temp.Combine("bottle/test/broken_large/000.png"));
        var truth = ImageDecoder.DecodeGray(temp.Combine("bottle/ground_truth/broken_large/000_mask.png"));
        var options = new VisualizationOptions
        {
            Range = HeatmapRange.FromNormalization(calibration.Normalization!),
            Threshold = calibration.Threshold,
            Alpha = 0.5,
        };

        PngFile.Write(HeatmapOverlay.Render(image, map, truth, options), temp.Combine("review/overlay/000.png"));
        PngFile.Write(AnomalyPanel.Render(image, map, truth, options), temp.Combine("review/panel/000.png"));
        PngFile.Write(Heatmap.Render(map, Colormap.Viridis), temp.Combine("review/heatmap/000.png"));

        var panel = ImageDecoder.DecodeRgb(temp.Combine("review/panel/000.png"));
        panel.Width.Should().Be((4 * width) + (3 * VisualizationDefaults.PanelGap));
        panel.Height.Should().Be(height);
        var overlay = ImageDecoder.DecodeRgb(temp.Combine("review/overlay/000.png"));
        overlay.Pixels.Should().Equal(HeatmapOverlay.Render(image, map, truth, options).Pixels);
        overlay.Pixels.Should().NotEqual(image.Pixels);
        ImageDecoder.DecodeRgb(temp.Combine("review/heatmap/000.png")).Width.Should().Be(16);
    }
}

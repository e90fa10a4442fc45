using Anomaly.ED.Data;
using Anomaly.ED.Scoring;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.Tests.Visualization;

public sealed class HeatmapOverlayTests
{
    [Fact]
    public void AlphaZeroReturnsTheImageUnchanged()
    {
        var image = Gradient(7, 5);
        var original = (byte[])image.Pixels.Clone();
        var overlay = HeatmapOverlay.Render(image, Map(3, 3), options: new VisualizationOptions { Alpha = 0 });
        overlay.Pixels.Should().Equal(original);
        overlay.Pixels.Should().NotBeSameAs(image.Pixels);
        image.Pixels.Should().Equal(original, "the input is not modified");
    }

    [Fact]
    public void AlphaOneReturnsTheHeatmapOfTheResizedMap()
    {
        var image = Gradient(7, 5);
        var map = Map(3, 3);
        var overlay = HeatmapOverlay.Render(image, map, options: new VisualizationOptions { Alpha = 1, Colormap = Colormap.Viridis });
        var expected = Heatmap.Render(MapResampler.Bilinear(map, 5, 7), Colormap.Viridis, HeatmapRange.Fixed(map.Values.Min(), map.Values.Max()));
        overlay.Pixels.Should().Equal(expected.Pixels);
    }

    [Fact]
    public void HalfAlphaMixesImageAndHeatmap()
    {
        var image = new ImageBuffer(2, 1, 3, [10, 20, 30, 200, 201, 202]);
        var map = new AnomalyMap(1, 2, [0f, 1f]);
        var overlay = HeatmapOverlay.Render(image, map, options: new VisualizationOptions { Alpha = 0.5 });

        // Jet: first colour (0, 0, 127), last (127, 0, 0); (1 - a) * image + a * heat, halves rounded up.
        overlay.Pixels.Should().Equal(5, 10, 79, 164, 101, 101);
    }

    [Fact]
    public void MapIsResizedToANonSquareImage()
    {
        // A 2x2 map whose right column is hot, over an image 12 wide and 4 tall: the right half turns hot.
        var image = new ImageBuffer(12, 4, 3);
        var map = new AnomalyMap(2, 2, [0f, 1f, 0f, 1f]);
        var overlay = HeatmapOverlay.Render(image, map, options: new VisualizationOptions { Alpha = 1, Colormap = Colormap.Viridis });
        overlay.Width.Should().Be(12);
        overlay.Height.Should().Be(4);
        for (var y = 0; y < 4; y++)
        {
            HeatmapTests.Pixel(overlay, y, 0).Should().Be(new RgbColor(68, 1, 84));
            HeatmapTests.Pixel(overlay, y, 11).Should().Be(new RgbColor(253, 231, 36));
            for (var x = 1; x < 12; x++)
            {
                overlay[y, x, 1].Should().BeGreaterThanOrEqualTo(overlay[y, x - 1, 1], "viridis green grows towards the hot side");
            }

            overlay[y, 5, 1].Should().BeLessThan(overlay[y, 6, 1], "the map's two columns meet at the image's centre");
        }
    }

    [Fact]
    public void PredictedOutlineIsDrawnOnTheBoundaryOfTheRegionAboveTheThreshold()
    {
        const int height = 20, width = 26;
        var region = RegionOutlineTests.RandomBlobs(height, width, seed: 11);
        var map = new AnomalyMap(height, width, region.Select(r => r ? 0.9f : 0.1f).ToArray());
        var image = Gradient(width, height);
        var options = new VisualizationOptions { Alpha = 0, Threshold = 0.5, PredictedOutlineColor = new RgbColor(1, 2, 3) };
        var overlay = HeatmapOverlay.Render(image, map, options: options);
        var boundary = RegionOutline.Find(region, height, width, 1);
        boundary.Count(b => b).Should().BeGreaterThan(10);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var expected = boundary[(y * width) + x] ? new RgbColor(1, 2, 3) : HeatmapTests.Pixel(image, y, x);
                HeatmapTests.Pixel(overlay, y, x).Should().Be(expected, $"pixel ({y}, {x})");
            }
        }
    }

    [Fact]
    public void GroundTruthOutlineFollowsTheMask()
    {
        var mask = new ImageBuffer(6, 5, 1);
        for (var y = 1; y <= 3; y++)
        {
            for (var x = 2; x <= 4; x++)
            {
                mask.Pixels[(y * 6) + x] = 255;
            }
        }

        var image = new ImageBuffer(6, 5, 3);
        var overlay = HeatmapOverlay.Render(image, Map(2, 2), mask, new VisualizationOptions { Alpha = 0 });
        for (var y = 0; y < 5; y++)
        {
            for (var x = 0; x < 6; x++)
            {
                var onOutline = y is >= 1 and <= 3 && x is >= 2 and <= 4 && !(y == 2 && x == 3);
                HeatmapTests.Pixel(overlay, y, x).Should().Be(onOutline ? RgbColor.Magenta : RgbColor.Black, $"pixel ({y}, {x})");
            }
        }

        var hidden = HeatmapOverlay.Render(image, Map(2, 2), mask, new VisualizationOptions { Alpha = 0, OutlineGroundTruth = false });
        hidden.Pixels.Should().OnlyContain(v => v == 0);
    }

    [Fact]
    public void MapRegionPlacesTheMapInsideTheCropBox()
    {
        var image = Gradient(8, 6);
        var box = new CropBox(Top: 1, Left: 2, Height: 3, Width: 4);
        var map = new AnomalyMap(1, 1, [5f]);
        var overlay = HeatmapOverlay.Render(image, map, options: new VisualizationOptions { Alpha = 1, MapRegion = box });
        for (var y = 0; y < 6; y++)
        {
            for (var x = 0; x < 8; x++)
            {
                var inside = y >= 1 && y < 4 && x >= 2 && x < 6;
                HeatmapTests.Pixel(overlay, y, x).Should().Be(inside ? new RgbColor(0, 0, 127) : HeatmapTests.Pixel(image, y, x), $"pixel ({y}, {x})");
            }
        }

        var outside = () => HeatmapOverlay.Render(image, map, options: new VisualizationOptions { MapRegion = new CropBox(4, 0, 3, 8) });
        outside.Should().Throw<ArgumentException>().WithMessage("*MapRegion*6x8 image*");
    }

    [Fact]
    public void GreyImagesAreReplicatedAndFourChannelImagesRejected()
    {
        var grey = new ImageBuffer(2, 1, 1, [40, 90]);
        HeatmapOverlay.Render(grey, Map(1, 1), options: new VisualizationOptions { Alpha = 0 }).Pixels.Should().Equal(40, 40, 40, 90, 90, 90);
        var act = () => HeatmapOverlay.Render(new ImageBuffer(2, 1, 4), Map(1, 1));
        act.Should().Throw<ArgumentException>().WithParameterName("image").WithMessage("*4 channels*");
    }

    [Fact]
    public void GroundTruthMaskMustMatchTheImage()
    {
        var image = new ImageBuffer(8, 6, 3);
        var wrongSize = () => HeatmapOverlay.Render(image, Map(2, 2), new ImageBuffer(4, 3, 1));
        wrongSize.Should().Throw<ArgumentException>().WithParameterName("groundTruth").WithMessage("*mask is 3x4*image is 6x8*");
        var wrongChannels = () => HeatmapOverlay.Render(image, Map(2, 2), new ImageBuffer(8, 6, 3));
        wrongChannels.Should().Throw<ArgumentException>().WithParameterName("groundTruth").WithMessage("*3 channels*DecodeGray*");
    }

    [Fact]
    public void InvalidOptionsAreAllListed()
    {
        var options = new VisualizationOptions { Alpha = 1.5, OutlineThickness = 0, Threshold = double.NaN, PanelGap = -1 };
        var act = () => HeatmapOverlay.Render(new ImageBuffer(2, 2, 3), Map(2, 2), options: options);
        act.Should().Throw<ArgumentException>().WithParameterName("options")
            .WithMessage("*Alpha is 1.5*Threshold is NaN*OutlineThickness is 0*PanelGap is -1*");
    }

    [Fact]
    public void NonFiniteMapValuesAreRejected()
    {
        var act = () => HeatmapOverlay.Render(new ImageBuffer(2, 2, 3), new AnomalyMap(1, 2, [0f, float.NaN]));
        act.Should().Throw<ArgumentException>().WithParameterName("map").WithMessage("*row 0, column 1*");
    }

    internal static ImageBuffer Gradient(int width, int height)
    {
        var image = new ImageBuffer(width, height, 3);
        for (var i = 0; i < image.Pixels.Length; i++)
        {
            image.Pixels[i] = (byte)((i * 37) % 251);
        }

        return image;
    }

    internal static AnomalyMap Map(int height, int width)
        => new(height, width, Enumerable.Range(0, height * width).Select(i => (float)((i * 0.37) % 1.0)).ToArray());
}

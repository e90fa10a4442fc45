using Anomaly.ED.Data;
using Anomaly.ED.Scoring;

namespace Anomaly.ED.Visualization;

/// <summary>
/// The validated inputs of one drawing and the layers derived from them at image resolution: the resized map and its
/// colours inside the map region, the predicted region and the ground-truth region.
/// </summary>
internal sealed class MapScene
{
    // Dataset masks are 0/255; taking "above half" also reads masks resized with a smoothing filter sensibly.
    private const byte MaskCut = 127;

    private readonly VisualizationOptions options;

    private MapScene(ImageBuffer rgb, CropBox box, byte[] heat, bool[]? predicted, bool[]? groundTruth, VisualizationOptions options)
    {
        Image = rgb;
        Box = box;
        Heat = heat;
        Predicted = predicted;
        GroundTruth = groundTruth;
        this.options = options;
    }

    /// <summary>The image as 3-channel RGB (a copy).</summary>
    public ImageBuffer Image { get; }

    /// <summary>The rectangle of the image the map covers.</summary>
    public CropBox Box { get; }

    /// <summary>Heatmap colours of the box, interleaved RGB, row-major.</summary>
    public byte[] Heat { get; }

    /// <summary>Box pixels whose resized map value is at or above the threshold; null without a threshold.</summary>
    public bool[]? Predicted { get; }

    /// <summary>Image pixels the ground-truth mask marks defective; null without a mask.</summary>
    public bool[]? GroundTruth { get; }

    /// <summary>Validates the inputs and derives the layers.</summary>
    public static MapScene Create(ImageBuffer image, AnomalyMap map, ImageBuffer? groundTruth, VisualizationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        options ??= new VisualizationOptions();
        options.Validate();
        Heatmap.RequireFinite(map, nameof(map));
        var rgb = ToRgb(image);
        var box = RegionOf(image, options.MapRegion);
        var gt = groundTruth is null ? null : MaskRegion(groundTruth, image);

        var (low, high) = options.Range.Resolve(map);
        var resized = MapResampler.Bilinear(map, box.Height, box.Width);
        var heat = new byte[box.Height * box.Width * 3];
        Heatmap.Colorize(resized.Values, low, high, options.Colormap, heat);

        bool[]? predicted = null;
        if (options.Threshold is { } threshold)
        {
            predicted = new bool[resized.Values.Length];
            for (var i = 0; i < predicted.Length; i++)
            {
                predicted[i] = resized.Values[i] >= threshold;
            }
        }

        return new MapScene(rgb, box, heat, predicted, gt, options);
    }

    /// <summary>The image with the heatmap blended into the box and the outlines drawn.</summary>
    public ImageBuffer Overlay()
    {
        var output = new ImageBuffer(Image.Width, Image.Height, 3, (byte[])Image.Pixels.Clone());
        var pixels = output.Pixels;
        var blend = BlendTable(options.Alpha);
        var rowBytes = Box.Width * 3;
        for (var y = 0; y < Box.Height; y++)
        {
            var heat = Heat.AsSpan(y * rowBytes, rowBytes);
            var target = pixels.AsSpan((((Box.Top + y) * Image.Width) + Box.Left) * 3, rowBytes);
            for (var i = 0; i < heat.Length; i++)
            {
                target[i] = blend[(target[i] << 8) | heat[i]];
            }
        }

        if (Predicted is not null)
        {
            var outline = RegionOutline.Find(Predicted, Box.Height, Box.Width, options.OutlineThickness);
            Paint(output, outline, Box, options.PredictedOutlineColor);
        }

        if (GroundTruth is not null && options.OutlineGroundTruth)
        {
            var outline = RegionOutline.Find(GroundTruth, Image.Height, Image.Width, options.OutlineThickness);
            Paint(output, outline, new CropBox(0, 0, Image.Height, Image.Width), options.GroundTruthOutlineColor);
        }

        return output;
    }

    /// <summary>The predicted region as a white-on-black RGB tile of the image's size (black outside the box).</summary>
    public ImageBuffer PredictedTile()
    {
        var tile = new ImageBuffer(Image.Width, Image.Height, 3);
        Paint(tile, Predicted ?? throw new InvalidOperationException("No threshold was given."), Box, RgbColor.White);
        return tile;
    }

    /// <summary>The ground-truth region as a white-on-black RGB tile of the image's size.</summary>
    public ImageBuffer GroundTruthTile()
    {
        var tile = new ImageBuffer(Image.Width, Image.Height, 3);
        Paint(tile, GroundTruth ?? throw new InvalidOperationException("No ground-truth mask was given."), new CropBox(0, 0, Image.Height, Image.Width), RgbColor.White);
        return tile;
    }

    // (1 - a) * image + a * heat, rounded, for every pair of bytes (image << 8 | heat): the same double arithmetic as
    // per pixel, 65,536 times instead of three times per pixel. a = 0 and a = 1 give either input exactly.
    private static byte[] BlendTable(double alpha)
    {
        var table = new byte[256 * 256];
        for (var image = 0; image < 256; image++)
        {
            for (var heat = 0; heat < 256; heat++)
            {
                table[(image << 8) | heat] = (byte)Math.Round(((1.0 - alpha) * image) + (alpha * heat), MidpointRounding.AwayFromZero);
            }
        }

        return table;
    }

    private static void Paint(ImageBuffer target, bool[] where, CropBox box, RgbColor color)
    {
        var pixels = target.Pixels;
        for (var y = 0; y < box.Height; y++)
        {
            for (var x = 0; x < box.Width; x++)
            {
                if (!where[(y * box.Width) + x])
                {
                    continue;
                }

                var i = (((box.Top + y) * target.Width) + box.Left + x) * 3;
                pixels[i] = color.R;
                pixels[i + 1] = color.G;
                pixels[i + 2] = color.B;
            }
        }
    }

    private static ImageBuffer ToRgb(ImageBuffer image)
    {
        switch (image.Channels)
        {
            case 3:
                return new ImageBuffer(image.Width, image.Height, 3, (byte[])image.Pixels.Clone());
            case 1:
                var rgb = new byte[image.Pixels.Length * 3];
                for (var i = 0; i < image.Pixels.Length; i++)
                {
                    rgb[i * 3] = rgb[(i * 3) + 1] = rgb[(i * 3) + 2] = image.Pixels[i];
                }

                return new ImageBuffer(image.Width, image.Height, 3, rgb);
            default:
                throw new ArgumentException(
                    $"The image has {image.Channels} channels; draw on an RGB (3) or grey (1) image, e.g. from ImageDecoder.DecodeRgb.", nameof(image));
        }
    }

    private static CropBox RegionOf(ImageBuffer image, CropBox? region)
    {
        if (region is not { } box)
        {
            return new CropBox(0, 0, image.Height, image.Width);
        }

        if (box.Height < 1 || box.Width < 1 || box.Top < 0 || box.Left < 0
            || box.Top + box.Height > image.Height || box.Left + box.Width > image.Width)
        {
            throw new ArgumentException(
                $"VisualizationOptions.MapRegion (top {box.Top}, left {box.Left}, {box.Height}x{box.Width}) does not lie inside the {image.Height}x{image.Width} image.",
                "options");
        }

        return box;
    }

    private static bool[] MaskRegion(ImageBuffer mask, ImageBuffer image)
    {
        if (mask.Channels != 1)
        {
            throw new ArgumentException(
                $"The ground-truth mask has {mask.Channels} channels; it must have one (decode it with ImageDecoder.DecodeGray).", "groundTruth");
        }

        if (mask.Width != image.Width || mask.Height != image.Height)
        {
            throw new ArgumentException(
                $"The ground-truth mask is {mask.Height}x{mask.Width} (height x width) but the image is {image.Height}x{image.Width}; "
                + $"resize the mask with ImageResampler.Resize(mask, {image.Width}, {image.Height}, ResampleFilter.Nearest) or ImageTransform.ResizeMask.",
                "groundTruth");
        }

        var region = new bool[mask.Pixels.Length];
        for (var i = 0; i < region.Length; i++)
        {
            region[i] = mask.Pixels[i] > MaskCut;
        }

        return region;
    }
}

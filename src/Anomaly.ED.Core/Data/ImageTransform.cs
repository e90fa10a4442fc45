using System.Globalization;

namespace Anomaly.ED.Data;

/// <summary>
/// The validated, immutable preprocessing of images and masks: resize, center crop, ToTensor and Normalize,
/// computed to reproduce the reference pipeline (Pillow + torchvision) bit for bit. Thread-safe.
/// </summary>
internal sealed class ImageTransform
{
    private readonly ImageTransformOptions options;
    private readonly float[] mean;
    private readonly float[] std;

    /// <summary>Validates and copies <paramref name="options"/>.</summary>
    /// <param name="options">The preprocessing settings.</param>
    /// <exception cref="ArgumentException">One or more settings are invalid; the message lists every problem.</exception>
    public ImageTransform(ImageTransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        this.options = options.Clone();
        mean = this.options.Mean.ToArray();
        std = this.options.Std.ToArray();
    }

    /// <summary>A copy of the settings this transform applies.</summary>
    public ImageTransformOptions Options => options.Clone();

    /// <summary>
    /// The output (height, width) for an input image of the given size. When no crop is set and the resize
    /// keeps the aspect ratio, it depends on the input.
    /// </summary>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <returns>The size of the tensors this transform produces for that input.</returns>
    public (int Height, int Width) GetOutputSize(int height, int width)
    {
        var (h, w) = GetResizedSize(height, width);
        var box = GetCropBox(h, w);
        return (box.Height, box.Width);
    }

    /// <summary>
    /// The size after the resize: the exact size, or for a short-side resize, short = N and
    /// long = trunc(N * long / short) computed in double (torchvision 0.14).
    /// </summary>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <returns>The resized (height, width).</returns>
    public (int Height, int Width) GetResizedSize(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (options.ResizeShortSide is not int shortTarget)
        {
            return (options.ResizeHeight!.Value, options.ResizeWidth!.Value);
        }

        var shortSide = Math.Min(height, width);
        var longSide = Math.Max(height, width);
        var newLong = (int)((double)shortTarget * longSide / shortSide);
        return width <= height ? (newLong, shortTarget) : (shortTarget, newLong);
    }

    /// <summary>
    /// The center-crop box in a resized image: top = round((H - h) / 2), left = round((W - w) / 2), rounding
    /// half to even as Python does; the whole image when no crop is set.
    /// </summary>
    /// <param name="resizedHeight">Height of the resized image.</param>
    /// <param name="resizedWidth">Width of the resized image.</param>
    /// <returns>The crop box.</returns>
    public CropBox GetCropBox(int resizedHeight, int resizedWidth)
    {
        var cropHeight = options.CropHeight ?? resizedHeight;
        var cropWidth = options.CropWidth ?? resizedWidth;
        if (cropHeight > resizedHeight || cropWidth > resizedWidth)
        {
            throw new ArgumentException(string.Format(
                CultureInfo.InvariantCulture,
                "The crop {0}x{1} (height x width) is larger than the resized image {2}x{3}.",
                cropHeight, cropWidth, resizedHeight, resizedWidth));
        }

        var top = (int)Math.Round((resizedHeight - cropHeight) / 2.0, MidpointRounding.ToEven);
        var left = (int)Math.Round((resizedWidth - cropWidth) / 2.0, MidpointRounding.ToEven);
        return new CropBox(top, left, cropHeight, cropWidth);
    }

    /// <summary>Resizes an image with <see cref="ImageTransformOptions.ImageFilter"/> to <see cref="GetResizedSize"/> (no crop).</summary>
    /// <param name="image">The decoded image.</param>
    /// <returns>The resized 8-bit image.</returns>
    public ImageBuffer ResizeImage(ImageBuffer image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (h, w) = GetResizedSize(image.Height, image.Width);
        return ImageResampler.Resize(image, w, h, options.ImageFilter);
    }

    /// <summary>Resizes a one-channel mask as <see cref="ImageTransformOptions.MaskResampling"/> says (no crop, not binarised).</summary>
    /// <param name="mask">The decoded one-channel mask.</param>
    /// <returns>The resized 8-bit mask.</returns>
    public ImageBuffer ResizeMask(ImageBuffer mask)
    {
        RequireChannels(mask, 1, "mask", "ImageDecoder.DecodeGray");
        var (h, w) = GetResizedSize(mask.Height, mask.Width);
        var filter = options.MaskResampling == MaskResampling.Nearest ? ResampleFilter.Nearest : ResampleFilter.Bilinear;
        return ImageResampler.Resize(mask, w, h, filter);
    }

    /// <summary>Writes the normalised CHW values of an RGB image into <paramref name="destination"/> (3 * H * W floats).</summary>
    internal void WriteImage(ImageBuffer image, Span<float> destination)
    {
        var resized = ResizeImage(image);
        var box = GetCropBox(resized.Height, resized.Width);
        var plane = box.Height * box.Width;
        if (destination.Length != 3 * plane)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values; {3 * plane} are needed.", nameof(destination));
        }

        var pixels = resized.Pixels;
        for (var c = 0; c < 3; c++)
        {
            var m = mean[c];
            var s = std[c];
            var target = destination.Slice(c * plane, plane);
            for (var y = 0; y < box.Height; y++)
            {
                var source = (((box.Top + y) * resized.Width) + box.Left) * 3 + c;
                var row = y * box.Width;
                for (var x = 0; x < box.Width; x++, source += 3)
                {
                    // torchvision: ToTensor divides by 255 in float32, Normalize subtracts and divides in float32.
                    target[row + x] = ((pixels[source] / 255f) - m) / s;
                }
            }
        }
    }

    /// <summary>Writes the binary HW values of a one-channel mask into <paramref name="destination"/> (H * W floats).</summary>
    internal void WriteMask(ImageBuffer mask, Span<float> destination)
    {
        var resized = ResizeMask(mask);
        var box = GetCropBox(resized.Height, resized.Width);
        if (destination.Length != box.Height * box.Width)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values; {box.Height * box.Width} are needed.", nameof(destination));
        }

        var pixels = resized.Pixels;
        var nearest = options.MaskResampling == MaskResampling.Nearest;
        for (var y = 0; y < box.Height; y++)
        {
            var source = ((box.Top + y) * resized.Width) + box.Left;
            var row = y * box.Width;
            for (var x = 0; x < box.Width; x++)
            {
                var v = pixels[source + x];
                var defect = nearest ? v != 0 : v / 255f >= 0.5f;
                destination[row + x] = defect ? 1f : 0f;
            }
        }
    }

    internal static void RequireChannels(ImageBuffer image, int channels, string what, string decoder)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels != channels)
        {
            throw new ArgumentException($"The {what} has {image.Channels} channel(s) but {channels} are expected; decode it with {decoder}.", what);
        }
    }

    private static void Validate(ImageTransformOptions o)
    {
        var problems = new List<string>();
        var ci = CultureInfo.InvariantCulture;
        if (o.ResizeShortSide is int shortSide)
        {
            if (shortSide < 1)
            {
                problems.Add(string.Format(ci, "ResizeShortSide must be at least 1 (was {0}).", shortSide));
            }

            if (o.ResizeHeight is not null || o.ResizeWidth is not null)
            {
                problems.Add("Set either ResizeShortSide or ResizeHeight/ResizeWidth, not both.");
            }

            if (o.CropHeight > shortSide || o.CropWidth > shortSide)
            {
                problems.Add(string.Format(ci, "The crop {0}x{1} may not exceed ResizeShortSide {2}.", o.CropHeight, o.CropWidth, shortSide));
            }
        }
        else
        {
            if (o.ResizeHeight is not int h || o.ResizeWidth is not int w)
            {
                problems.Add("Set ResizeShortSide, or both ResizeHeight and ResizeWidth.");
            }
            else
            {
                if (h < 1 || w < 1)
                {
                    problems.Add(string.Format(ci, "ResizeHeight and ResizeWidth must be at least 1 (were {0} and {1}).", h, w));
                }

                if (o.CropHeight > h || o.CropWidth > w)
                {
                    problems.Add(string.Format(ci, "The crop {0}x{1} may not exceed the resize {2}x{3} (height x width).", o.CropHeight, o.CropWidth, h, w));
                }
            }
        }

        if (o.CropHeight < 1 || o.CropWidth < 1)
        {
            problems.Add(string.Format(ci, "CropHeight and CropWidth must be at least 1 when set (were {0} and {1}).", o.CropHeight, o.CropWidth));
        }

        if (!Enum.IsDefined(o.ImageFilter))
        {
            problems.Add(string.Format(ci, "ImageFilter {0} is not a known filter.", o.ImageFilter));
        }

        if (!Enum.IsDefined(o.MaskResampling))
        {
            problems.Add(string.Format(ci, "MaskResampling {0} is not a known mode.", o.MaskResampling));
        }

        if (o.Mean is null || o.Mean.Count != 3 || o.Mean.Any(v => !float.IsFinite(v)))
        {
            problems.Add("Mean must hold 3 finite values (R, G, B).");
        }

        if (o.Std is null || o.Std.Count != 3 || o.Std.Any(v => !float.IsFinite(v) || v <= 0))
        {
            problems.Add("Std must hold 3 finite positive values (R, G, B).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid image transform options: " + string.Join(" ", problems), "options");
        }
    }
}

using Anomaly.ED.IO;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Anomaly.ED.Data;

/// <summary>Encodes 8-bit images as PNG (used for heatmaps and overlays); files are written atomically.</summary>
internal static class ImageEncoder
{
    /// <summary>Encodes an image as a lossless 8-bit PNG: grey for 1 channel, RGB for 3, RGBA (unpremultiplied) for 4.</summary>
    /// <param name="image">The image to encode.</param>
    /// <returns>The PNG file content.</returns>
    public static byte[] EncodePng(ImageBuffer image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (colorType, alphaType, pixels) = image.Channels switch
        {
            1 => (SKColorType.Gray8, SKAlphaType.Opaque, image.Pixels),
            3 => (SKColorType.Rgba8888, SKAlphaType.Opaque, ExpandRgb(image.Pixels)),
            _ => (SKColorType.Rgba8888, SKAlphaType.Unpremul, image.Pixels),
        };
        var info = new SKImageInfo(image.Width, image.Height, colorType, alphaType, null);
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            using var data = pixmap.Encode(SKPngEncoderOptions.Default)
                ?? throw new InvalidOperationException($"The PNG encoder rejected a {image.Width}x{image.Height} image with {image.Channels} channel(s).");
            return data.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>
    /// Writes an image as a PNG file, atomically: the bytes go to a temporary file in the same folder,
    /// which then replaces <paramref name="path"/>.
    /// </summary>
    /// <param name="image">The image to write.</param>
    /// <param name="path">The destination file; its folder must exist (a missing folder is a <see cref="DirectoryNotFoundException"/> naming it).</param>
    public static void WritePng(ImageBuffer image, string path) => AtomicFile.WriteAllBytes(path, EncodePng(image), "PNG image");

    private static byte[] ExpandRgb(byte[] rgb)
    {
        var rgba = new byte[rgb.Length / 3 * 4];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgba[j] = rgb[i];
            rgba[j + 1] = rgb[i + 1];
            rgba[j + 2] = rgb[i + 2];
            rgba[j + 3] = 255;
        }

        return rgba;
    }
}

using System.Runtime.InteropServices;
using SkiaSharp;

namespace Anomaly.ED.Data;

/// <summary>
/// Decodes PNG, BMP and JPEG files (and the other formats Skia reads) to 8-bit pixels exactly as the
/// reference pipeline (Pillow) sees them: no colour management, no EXIF rotation, alpha dropped rather
/// than composited, grey replicated to RGB, 16-bit samples reduced to their high byte.
/// </summary>
/// <remarks>
/// Every failure is an <see cref="ImageDecodeException"/> naming the file; see docs/decisions/image-library.md.
/// The methods are thread-safe.
/// </remarks>
public static class ImageDecoder
{
    /// <summary>Decodes an image file to 3-channel RGB (grey replicated, alpha dropped).</summary>
    /// <param name="path">The image file.</param>
    /// <returns>An RGB buffer of the image's size.</returns>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable, empty, truncated, corrupt or not an image.</exception>
    public static ImageBuffer DecodeRgb(string path) => ToRgb(DecodeRgba(ReadFile(path), path));

    /// <summary>Decodes encoded image bytes to 3-channel RGB (grey replicated, alpha dropped).</summary>
    /// <param name="encoded">The encoded file content.</param>
    /// <param name="sourceName">A name for error messages, such as the file path.</param>
    /// <returns>An RGB buffer of the image's size.</returns>
    /// <exception cref="ImageDecodeException">The bytes are empty, truncated, corrupt or not an image.</exception>
    public static ImageBuffer DecodeRgb(ReadOnlySpan<byte> encoded, string sourceName) => ToRgb(DecodeRgba(encoded, sourceName));

    /// <summary>
    /// Decodes an image file to one grey channel, as masks are read: grey images keep their values, colour
    /// images use Pillow's luma rule L = (19595 R + 38470 G + 7471 B + 32768) >> 16 (exact for grey palettes),
    /// and alpha is dropped.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <returns>A one-channel buffer of the image's size.</returns>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable, empty, truncated, corrupt or not an image.</exception>
    public static ImageBuffer DecodeGray(string path) => ToGray(DecodeRgba(ReadFile(path), path));

    /// <summary>Decodes encoded image bytes to one grey channel (see <see cref="DecodeGray(string)"/>).</summary>
    /// <param name="encoded">The encoded file content.</param>
    /// <param name="sourceName">A name for error messages, such as the file path.</param>
    /// <returns>A one-channel buffer of the image's size.</returns>
    /// <exception cref="ImageDecodeException">The bytes are empty, truncated, corrupt or not an image.</exception>
    public static ImageBuffer DecodeGray(ReadOnlySpan<byte> encoded, string sourceName) => ToGray(DecodeRgba(encoded, sourceName));

    /// <summary>
    /// Decodes an image file keeping its own channel layout: 1 channel for grey images without alpha,
    /// 4 (RGBA, unpremultiplied) for images with alpha, otherwise 3 (RGB). Palette images are expanded.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <returns>A buffer with 1, 3 or 4 channels.</returns>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable, empty, truncated, corrupt or not an image.</exception>
    public static ImageBuffer Decode(string path)
    {
        var decoded = DecodeRgba(ReadFile(path), path);
        if (decoded.IsGray && !decoded.HasAlpha)
        {
            return ToGray(decoded);
        }

        return decoded.HasAlpha ? decoded.Rgba : ToRgb(decoded);
    }

    /// <summary>The largest image accepted, in pixels (width times height), checked against the declared size before any pixel memory is allocated; a hostile or corrupt header cannot make the decoder allocate more.</summary>
    /// <value>The default value is 100,000,000 (for example 10000 x 10000).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public static long MaxPixels
    {
        get => Volatile.Read(ref maxPixels);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            Volatile.Write(ref maxPixels, value);
        }
    }

    private static long maxPixels = 100_000_000;

    private static byte[] ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ImageDecodeException(path, ex is FileNotFoundException or DirectoryNotFoundException ? "the file does not exist" : "the file cannot be read: " + ex.Message, ex);
        }
    }

    private static Decoded DecodeRgba(ReadOnlySpan<byte> encoded, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (encoded.IsEmpty)
        {
            throw new ImageDecodeException(sourceName, "the file is empty (0 bytes)");
        }

        SKData data;
        try
        {
            data = SKData.CreateCopy(encoded);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ImageDecodeException(sourceName, "the native image library could not take the data: " + ex.Message, ex);
        }

        using (data)
        {
            // The codec takes ownership of the stream (and Skia frees it when no codec is made).
            var stream = new SKMemoryStream(data);
            using var codec = SKCodec.Create(stream, out var createResult);
            if (codec is null)
            {
                throw new ImageDecodeException(sourceName, createResult switch
                {
                    SKCodecResult.IncompleteInput => "the header is truncated",
                    _ => $"not a recognised image format or a variant the decoder does not read (it reads PNG, BMP, JPEG, GIF, WebP and ICO); decoder result {createResult}",
                });
            }

            var info = codec.Info;
            if (info.Width <= 0 || info.Height <= 0)
            {
                throw new ImageDecodeException(sourceName, $"invalid image size {info.Width}x{info.Height}");
            }

            var pixels = (long)info.Width * info.Height;
            var byteCount = pixels * 4;
            if (pixels > MaxPixels || byteCount > Array.MaxLength)
            {
                throw new ImageDecodeException(sourceName, $"the declared size {info.Width}x{info.Height} is larger than ImageDecoder.MaxPixels ({MaxPixels} pixels)");
            }

            // Null colour space: no colour management (Pillow applies none); unpremultiplied: the RGB of
            // transparent pixels survive, so dropping alpha gives the stored colours.
            var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul, null);
            var rgba = new byte[byteCount];
            var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
            SKCodecResult result;
            try
            {
                result = codec.GetPixels(target, handle.AddrOfPinnedObject());
            }
            finally
            {
                handle.Free();
            }

            switch (result)
            {
                case SKCodecResult.Success:
                    break;
                case SKCodecResult.IncompleteInput:
                    throw new ImageDecodeException(sourceName, "the pixel data is truncated");
                case SKCodecResult.ErrorInInput:
                    throw new ImageDecodeException(sourceName, "the pixel data is corrupt");
                default:
                    throw new ImageDecodeException(sourceName, $"decoding failed with result {result}");
            }

            return new Decoded(
                new ImageBuffer(info.Width, info.Height, 4, rgba),
                IsGray: info.ColorType == SKColorType.Gray8,
                HasAlpha: info.AlphaType != SKAlphaType.Opaque);
        }
    }

    private static ImageBuffer ToRgb(Decoded decoded)
    {
        var rgba = decoded.Rgba.Pixels;
        var pixelCount = rgba.Length / 4;
        var rgb = new byte[pixelCount * 3];
        for (int i = 0, j = 0; i < rgba.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }

        return new ImageBuffer(decoded.Rgba.Width, decoded.Rgba.Height, 3, rgb);
    }

    private static ImageBuffer ToGray(Decoded decoded)
    {
        var rgba = decoded.Rgba.Pixels;
        var gray = new byte[rgba.Length / 4];
        for (int i = 0, j = 0; i < rgba.Length; i += 4, j++)
        {
            gray[j] = (byte)(((rgba[i] * 19595) + (rgba[i + 1] * 38470) + (rgba[i + 2] * 7471) + 0x8000) >> 16);
        }

        return new ImageBuffer(decoded.Rgba.Width, decoded.Rgba.Height, 1, gray);
    }

    private readonly record struct Decoded(ImageBuffer Rgba, bool IsGray, bool HasAlpha);
}

namespace Anomaly.ED.Data;

/// <summary>
/// An 8-bit image held in memory as interleaved samples, rows top to bottom (HWC layout):
/// three channels (RGB) for images, one for masks.
/// </summary>
public sealed class ImageBuffer
{
    /// <summary>Creates a buffer of zeros with the given size and channel count.</summary>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    /// <param name="channels">Samples per pixel: 1, 3 or 4.</param>
    public ImageBuffer(int width, int height, int channels)
        : this(width, height, channels, new byte[CheckedLength(width, height, channels)])
    {
    }

    /// <summary>Wraps existing interleaved pixels (not copied); their length must be width * height * channels.</summary>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    /// <param name="channels">Samples per pixel: 1, 3 or 4.</param>
    /// <param name="pixels">Row-major interleaved samples.</param>
    public ImageBuffer(int width, int height, int channels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var length = CheckedLength(width, height, channels);
        if (pixels.Length != length)
        {
            throw new ArgumentException(
                $"An image of {width}x{height} with {channels} channel(s) needs {length} bytes, but {pixels.Length} were given.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Samples per pixel: 1 (grey or mask), 3 (RGB) or 4 (RGBA).</summary>
    public int Channels { get; }

    /// <summary>The interleaved samples, row-major, top row first; index ((y * Width) + x) * Channels + c.</summary>
    public byte[] Pixels { get; }

    /// <summary>The sample at row <paramref name="y"/>, column <paramref name="x"/>, channel <paramref name="channel"/>.</summary>
    public byte this[int y, int x, int channel] => Pixels[(((y * Width) + x) * Channels) + channel];

    private static int CheckedLength(int width, int height, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (channels is not (1 or 3 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "An image buffer has 1, 3 or 4 channels.");
        }

        var length = (long)width * height * channels;
        if (length > Array.MaxLength)
        {
            throw new ArgumentException($"An image of {width}x{height} with {channels} channel(s) is too large for one buffer.", nameof(width));
        }

        return (int)length;
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using Anomaly.ED.Data;

namespace Anomaly.ED.Tests.Data;

/// <summary>Writes small test images byte by byte (PNG of any bit depth and colour type, BMP 24-bit and 8-bit palettised).</summary>
internal static class TestImageFiles
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>A PNG with the given IHDR bit depth and colour type; rows are the unfiltered scanlines (without filter bytes).</summary>
    public static byte[] Png(int width, int height, int bitDepth, int colorType, IReadOnlyList<byte[]> rows, byte[]? palette = null, byte[]? transparency = null)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = (byte)bitDepth;
        header[9] = (byte)colorType;
        WriteChunk(output, "IHDR", header);
        if (palette is not null)
        {
            WriteChunk(output, "PLTE", palette);
        }

        if (transparency is not null)
        {
            WriteChunk(output, "tRNS", transparency);
        }

        using var raw = new MemoryStream();
        foreach (var row in rows)
        {
            raw.WriteByte(0);
            raw.Write(row);
        }

        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(raw.ToArray());
        }

        WriteChunk(output, "IDAT", compressed.ToArray());
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>A 24-bit BMP (bottom-up rows, each padded to 4 bytes) of an RGB buffer.</summary>
    public static byte[] Bmp24(ImageBuffer rgb, bool topDown = false)
    {
        var rowSize = ((rgb.Width * 3) + 3) & ~3;
        var pixels = new byte[rowSize * rgb.Height];
        for (var y = 0; y < rgb.Height; y++)
        {
            var fileRow = topDown ? y : rgb.Height - 1 - y;
            for (var x = 0; x < rgb.Width; x++)
            {
                var o = (fileRow * rowSize) + (x * 3);
                pixels[o] = rgb[y, x, 2];
                pixels[o + 1] = rgb[y, x, 1];
                pixels[o + 2] = rgb[y, x, 0];
            }
        }

        return Bmp(rgb.Width, topDown ? -rgb.Height : rgb.Height, 24, [], pixels);
    }

    /// <summary>An 8-bit palettised BMP (bottom-up) of indices, with a palette of (r, g, b) entries.</summary>
    public static byte[] Bmp8(int width, int height, byte[] indices, IReadOnlyList<(byte R, byte G, byte B)> palette)
    {
        var rowSize = (width + 3) & ~3;
        var pixels = new byte[rowSize * height];
        for (var y = 0; y < height; y++)
        {
            Array.Copy(indices, y * width, pixels, (height - 1 - y) * rowSize, width);
        }

        var table = new byte[palette.Count * 4];
        for (var i = 0; i < palette.Count; i++)
        {
            table[i * 4] = palette[i].B;
            table[(i * 4) + 1] = palette[i].G;
            table[(i * 4) + 2] = palette[i].R;
        }

        return Bmp(width, height, 8, table, pixels, palette.Count);
    }

    /// <summary>A grey 256-entry palette (index i is grey i), as in BTAD's and the golden BMP masks.</summary>
    public static (byte R, byte G, byte B)[] GreyPalette() => Enumerable.Range(0, 256).Select(i => ((byte)i, (byte)i, (byte)i)).ToArray();

    /// <summary>An RGB buffer whose pixel (y, x) is (f(y,x,0), f(y,x,1), f(y,x,2)).</summary>
    public static ImageBuffer Rgb(int width, int height, Func<int, int, int, int> value)
    {
        var image = new ImageBuffer(width, height, 3);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    image.Pixels[(((y * width) + x) * 3) + c] = (byte)value(y, x, c);
                }
            }
        }

        return image;
    }

    /// <summary>A one-channel buffer whose pixel (y, x) is f(y, x).</summary>
    public static ImageBuffer Gray(int width, int height, Func<int, int, int> value)
    {
        var image = new ImageBuffer(width, height, 1);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image.Pixels[(y * width) + x] = (byte)value(y, x);
            }
        }

        return image;
    }

    private static byte[] Bmp(int width, int height, int bitsPerPixel, byte[] palette, byte[] pixels, int colorsUsed = 0)
    {
        const int FileHeader = 14;
        const int InfoHeader = 40;
        var offset = FileHeader + InfoHeader + palette.Length;
        var file = new byte[offset + pixels.Length];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), offset);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), InfoHeader);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), (short)bitsPerPixel);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(34), pixels.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(38), 2835);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(42), 2835);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(46), colorsUsed);
        palette.CopyTo(file, FileHeader + InfoHeader);
        pixels.CopyTo(file, offset);
        return file;
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. typeBytes, .. data]));
        output.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}

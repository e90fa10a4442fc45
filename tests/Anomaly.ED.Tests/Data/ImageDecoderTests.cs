using Anomaly.ED.Data;
using Anomaly.ED.Tests.TestSupport;

namespace Anomaly.ED.Tests.Data;

public sealed class ImageDecoderTests
{
    // 16-bit samples chosen around the byte boundaries: the decoder keeps the high byte (v >> 8).
    private static readonly ushort[] Samples16 = [0, 255, 256, 32767, 32768, 65280, 65407, 65535];

    [Fact]
    public void Png8BitGrayIsReplicatedToRgb()
    {
        var png = TestImageFiles.Png(3, 1, 8, 0, [[0, 128, 255]]);
        var rgb = ImageDecoder.DecodeRgb(png, "gray.png");
        rgb.Channels.Should().Be(3);
        rgb.Pixels.Should().Equal(0, 0, 0, 128, 128, 128, 255, 255, 255);
        ImageDecoder.DecodeGray(png, "gray.png").Pixels.Should().Equal(0, 128, 255);
    }

    [Fact]
    public void Png16BitGrayKeepsTheHighByte()
    {
        var row = Samples16.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();
        var gray = ImageDecoder.DecodeGray(TestImageFiles.Png(8, 1, 16, 0, [row]), "gray16.png");
        gray.Pixels.Should().Equal(Samples16.Select(v => (byte)(v >> 8)));
    }

    [Fact]
    public void Png16BitRgbaKeepsTheHighByteAndDropsAlpha()
    {
        // Pixel i has R = s[i], G = s[i+1], B = s[i+2], A = s[i+3] (indices mod 8); several alphas are 0 or tiny.
        var row = Enumerable.Range(0, 8)
            .SelectMany(i => Enumerable.Range(0, 4).Select(c => Samples16[(i + c) % 8]))
            .SelectMany(v => new[] { (byte)(v >> 8), (byte)v })
            .ToArray();
        var rgb = ImageDecoder.DecodeRgb(TestImageFiles.Png(8, 1, 16, 6, [row]), "rgba16.png");
        var expected = Enumerable.Range(0, 8).SelectMany(i => Enumerable.Range(0, 3).Select(c => (byte)(Samples16[(i + c) % 8] >> 8)));
        rgb.Pixels.Should().Equal(expected);
    }

    [Fact]
    public void PalettePngWithTransparencyDropsAlphaAndKeepsPaletteColours()
    {
        byte[] palette = [10, 20, 30, 200, 100, 50, 0, 0, 0, 255, 255, 255];
        var png = TestImageFiles.Png(4, 1, 8, 3, [[0, 1, 2, 3]], palette, transparency: [255, 0]);
        ImageDecoder.DecodeRgb(png, "palette.png").Pixels.Should().Equal(10, 20, 30, 200, 100, 50, 0, 0, 0, 255, 255, 255);
    }

    [Fact]
    public void GrayAlphaPngKeepsGrayOfTransparentPixels()
    {
        var png = TestImageFiles.Png(3, 1, 8, 4, [[10, 0, 20, 128, 30, 255]]);
        ImageDecoder.DecodeRgb(png, "la.png").Pixels.Should().Equal(10, 10, 10, 20, 20, 20, 30, 30, 30);
        using var dir = new TempDirectory();
        var native = ImageDecoder.Decode(dir.Write("la.png", png));
        native.Channels.Should().Be(4);
        native.Pixels.Should().Equal(10, 10, 10, 0, 20, 20, 20, 128, 30, 30, 30, 255);
    }

    [Fact]
    public void OneBitPngIsExpandedToBlackAndWhite()
    {
        var png = TestImageFiles.Png(8, 1, 1, 0, [[0b10110001]]);
        ImageDecoder.DecodeGray(png, "bits.png").Pixels.Should().Equal(255, 0, 255, 255, 0, 0, 0, 255);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bmp24BitRoundTripsBothRowOrders(bool topDown)
    {
        var source = TestImageFiles.Rgb(5, 3, (y, x, c) => (y * 50) + (x * 7) + (c * 80));
        var decoded = ImageDecoder.DecodeRgb(TestImageFiles.Bmp24(source, topDown), "image.bmp");
        decoded.Width.Should().Be(5);
        decoded.Height.Should().Be(3);
        decoded.Pixels.Should().Equal(source.Pixels);
    }

    [Fact]
    public void Bmp8BitPaletteIsExpandedThroughThePalette()
    {
        (byte, byte, byte)[] palette = [(0, 0, 0), (255, 0, 0), (0, 0, 255), (255, 255, 255)];
        byte[] indices = [0, 1, 2, 3, 3, 2];
        var bmp = TestImageFiles.Bmp8(3, 2, indices, palette);
        ImageDecoder.DecodeRgb(bmp, "palette.bmp").Pixels.Should().Equal(0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 0, 0, 255);

        // Colour masks become grey with Pillow's luma rule: red -> 76, blue -> 29.
        ImageDecoder.DecodeGray(bmp, "palette.bmp").Pixels.Should().Equal(0, 76, 29, 255, 255, 29);
    }

    [Fact]
    public void Bmp8BitGreyPaletteMaskGivesItsIndices()
    {
        var indices = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var bmp = TestImageFiles.Bmp8(16, 16, indices, TestImageFiles.GreyPalette());
        ImageDecoder.DecodeGray(bmp, "mask.bmp").Pixels.Should().Equal(indices);
    }

    [Fact]
    public void JpegDecodesToApproximatelyTheEncodedColours()
    {
        var source = TestImageFiles.Rgb(16, 16, (y, x, c) => c == 0 ? 200 : c == 1 ? 120 : 40);
        var jpeg = EncodeJpeg(source);
        var decoded = ImageDecoder.DecodeRgb(jpeg, "flat.jpg");
        decoded.Width.Should().Be(16);
        decoded.Height.Should().Be(16);
        decoded.Pixels.Select((v, i) => Math.Abs(v - source.Pixels[i])).Max().Should().BeLessThanOrEqualTo(3, "a flat colour survives JPEG almost exactly");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void EncodedPngDecodesToTheSamePixels(int channels)
    {
        var image = new ImageBuffer(7, 5, channels);
        for (var i = 0; i < image.Pixels.Length; i++)
        {
            image.Pixels[i] = (byte)((i * 37) % 256);
        }

        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "out.png");
        ImageEncoder.WritePng(image, path);
        Directory.GetFiles(dir.Path).Should().Equal([path], "the temporary file is moved onto the destination");
        var decoded = ImageDecoder.Decode(path);
        decoded.Channels.Should().Be(channels);
        decoded.Pixels.Should().Equal(image.Pixels);
    }

    [Fact]
    public void GoldenRgbaPngKeepsRgbWhereAlphaIsZero()
    {
        var path = GoldenData.Copied("pipeline/images/rgba_200x300.png");
        var rgba = ImageDecoder.Decode(path);
        rgba.Channels.Should().Be(4);
        var rgb = ImageDecoder.DecodeRgb(path);

        // Columns 0-19 have alpha 0 but non-black colours; composited or premultiplied decoding would give zeros.
        var transparent = Enumerable.Range(0, rgb.Height).SelectMany(y => Enumerable.Range(0, 20).Select(x => (y, x))).ToArray();
        transparent.Should().OnlyContain(p => rgba[p.y, p.x, 3] == 0);
        transparent.Sum(p => rgb[p.y, p.x, 0] + rgb[p.y, p.x, 1] + rgb[p.y, p.x, 2]).Should().BeGreaterThan(0);
        transparent.Should().OnlyContain(p => rgb[p.y, p.x, 0] == rgba[p.y, p.x, 0] && rgb[p.y, p.x, 2] == rgba[p.y, p.x, 2]);
    }

    [Fact]
    public void ZeroByteFileThrowsNamingTheFile()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("empty.png", []);
        var act = () => ImageDecoder.DecodeRgb(path);
        act.Should().Throw<ImageDecodeException>().Where(e => e.FilePath == path && e.Message.Contains(path) && e.Reason.Contains("empty"));
    }

    [Fact]
    public void TruncatedPngThrowsNamingTheFile()
    {
        var image = TestImageFiles.Rgb(64, 64, (y, x, c) => (x * y * (c + 1)) % 251);
        var png = ImageEncoder.EncodePng(image);
        using var dir = new TempDirectory();
        var path = dir.Write("truncated.png", png[..(png.Length / 2)]);
        var act = () => ImageDecoder.DecodeRgb(path);
        act.Should().Throw<ImageDecodeException>().Where(e => e.FilePath == path && e.Reason.Contains("truncated"));
    }

    [Fact]
    public void TruncatedBmpThrowsNamingTheFile()
    {
        var bmp = TestImageFiles.Bmp24(TestImageFiles.Rgb(32, 32, (y, x, c) => x + y + c));
        using var dir = new TempDirectory();
        var path = dir.Write("truncated.bmp", bmp[..(bmp.Length - 1000)]);
        var act = () => ImageDecoder.DecodeRgb(path);
        act.Should().Throw<ImageDecodeException>().Where(e => e.FilePath == path);
    }

    [Fact]
    public void CorruptPngDataThrowsNamingTheFile()
    {
        var png = ImageEncoder.EncodePng(TestImageFiles.Rgb(32, 32, (y, x, c) => (x * 8) + c));
        var corrupt = (byte[])png.Clone();
        for (var i = 60; i < corrupt.Length - 20; i++)
        {
            corrupt[i] ^= 0x5A;
        }

        var act = () => ImageDecoder.DecodeRgb(corrupt, "corrupt.png");
        act.Should().Throw<ImageDecodeException>().Where(e => e.FilePath == "corrupt.png");
    }

    [Fact]
    public void TextFileThrowsNamingTheFile()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("notes.png", "this is not an image"u8.ToArray());
        var act = () => ImageDecoder.DecodeRgb(path);
        act.Should().Throw<ImageDecodeException>().Where(e => e.FilePath == path && e.Reason.Contains("not a recognised image format"));
    }

    [Fact]
    public void MissingFileThrowsNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "anomaly-ed-missing-" + Guid.NewGuid().ToString("N") + ".png");
        var act = () => ImageDecoder.DecodeGray(path);
        act.Should().Throw<ImageDecodeException>().Where(e => e.FilePath == path && e.Reason.Contains("does not exist"));
    }

    private static byte[] EncodeJpeg(ImageBuffer rgb)
    {
        var rgba = new byte[rgb.Width * rgb.Height * 4];
        for (int i = 0, j = 0; i < rgb.Pixels.Length; i += 3, j += 4)
        {
            rgba[j] = rgb.Pixels[i];
            rgba[j + 1] = rgb.Pixels[i + 1];
            rgba[j + 2] = rgb.Pixels[i + 2];
            rgba[j + 3] = 255;
        }

        var info = new SkiaSharp.SKImageInfo(rgb.Width, rgb.Height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque);
        using var image = SkiaSharp.SKImage.FromPixelCopy(info, rgba);
        using var data = image.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 95);
        return data.ToArray();
    }
}

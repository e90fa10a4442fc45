using Anomaly.ED.Data;
using Anomaly.ED.Tests.Data;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>The image decoder under hostile bytes: every case decodes or ends in <see cref="ImageDecodeException"/> naming the source, and declared sizes are checked before pixel memory is allocated.</summary>
public sealed class ImageDecoderFuzzTests(ITestOutputHelper output)
{
    private static readonly string SeedFolder = Path.Combine(AppContext.BaseDirectory, "Reliability", "Seeds");

    [Fact]
    public void MutatedImagesDecodeOrAreRefusedWithTheDocumentedException()
    {
        var seeds = Seeds();
        var fuzzer = new MutationFuzzer(1129);
        var inputs = SafetensorsFuzzTests.Regressions("image")
            .Concat(seeds.SelectMany(s => MutationFuzzer.Truncations(s, Enumerable.Range(0, 12).Select(i => s.Length * i / 12))))
            .Concat(Enumerable.Range(0, int.MaxValue).Select(i => fuzzer.Mutate(seeds[i % seeds.Length], 64)));

        var report = MutationFuzzer.Run("image", inputs, Decode, [typeof(ImageDecodeException)], MutationFuzzer.Budget(12), maxCases: MutationFuzzer.MaxCases(20_000));

        output.WriteLine(report.ToString());
        report.Findings.Should().BeEmpty(report.ToString());
        report.Cases.Should().BeGreaterThan(300);
        report.Rejected.Should().BeGreaterThan(0);
    }

    [Theory]
    [InlineData(20000, 20000)]
    [InlineData(100_000, 1)]
    [InlineData(int.MaxValue, int.MaxValue)]
    public void AHugeDeclaredSizeIsRefusedBeforeAllocating(int width, int height)
    {
        var png = TestImageFiles.Png(width, height, 8, 2, []);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var decode = () => ImageDecoder.DecodeRgb(png, "huge.png");

        decode.Should().Throw<ImageDecodeException>().Where(e => e.FilePath == "huge.png");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(16 << 20, "no pixel buffer for the declared size is allocated");
    }

    [Fact]
    public void TheSizeLimitIsConfigurable()
    {
        var png = TestImageFiles.Png(64, 64, 8, 0, Enumerable.Range(0, 64).Select(_ => new byte[64]).ToArray());
        var previous = ImageDecoder.MaxPixels;
        try
        {
            ImageDecoder.MaxPixels = 64 * 63;
            var decode = () => ImageDecoder.DecodeRgb(png, "limit.png");
            decode.Should().Throw<ImageDecodeException>().WithMessage("*64x64*MaxPixels*");
            ImageDecoder.MaxPixels = 64 * 64;
            ImageDecoder.DecodeRgb(png, "limit.png").Width.Should().Be(64);
        }
        finally
        {
            ImageDecoder.MaxPixels = previous;
        }

        var invalid = () => ImageDecoder.MaxPixels = 0;
        invalid.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData("cmyk.jpg")]
    [InlineData("progressive.jpg")]
    [InlineData("grey.jpg")]
    public void UnusualButValidEncodingsDecode(string file)
    {
        var image = ImageDecoder.DecodeRgb(Path.Combine(SeedFolder, file));
        (image.Width, image.Height, image.Channels).Should().Be((24, 16, 3));
    }

    private static void Decode(byte[] bytes)
    {
        try
        {
            var image = ImageDecoder.DecodeRgb(bytes, "fuzz-case");
            image.Pixels.Length.Should().Be(image.Width * image.Height * 3);
        }
        catch (ImageDecodeException e)
        {
            e.FilePath.Should().Be("fuzz-case");
            throw;
        }
    }

    private static byte[][] Seeds()
    {
        byte[] Rows(int width, int height, int bytesPerPixel, out byte[][] rows)
        {
            rows = Enumerable.Range(0, height).Select(y => Enumerable.Range(0, width * bytesPerPixel).Select(x => (byte)((x * 7) + (y * 13))).ToArray()).ToArray();
            return [];
        }

        Rows(16, 12, 3, out var rgb8);
        Rows(16, 12, 6, out var rgb16);
        Rows(16, 12, 1, out var indexed);
        Rows(16, 12, 2, out var greyAlpha);
        var palette = Enumerable.Range(0, 256).SelectMany(i => new[] { (byte)i, (byte)(255 - i), (byte)(i / 2) }).ToArray();
        return
        [
            TestImageFiles.Png(16, 12, 8, 2, rgb8),
            TestImageFiles.Png(16, 12, 16, 2, rgb16),
            TestImageFiles.Png(16, 12, 8, 3, indexed, palette),
            TestImageFiles.Png(16, 12, 8, 4, greyAlpha),
            TestImageFiles.Png(1, 1, 8, 2, [new byte[3]]),
            TestImageFiles.Bmp24(TestImageFiles.Rgb(16, 12, (x, y, c) => x * y * (c + 1))),
            TestImageFiles.Bmp8(8, 4, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), TestImageFiles.GreyPalette()),
            .. Directory.GetFiles(SeedFolder, "*.jpg").Order(StringComparer.Ordinal).Select(File.ReadAllBytes),
        ];
    }
}

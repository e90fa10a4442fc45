using Anomaly.ED.Data;

namespace Anomaly.ED.Tests.Data;

public sealed class ImageResamplerTests
{
    [Theory]
    [InlineData(nameof(ResampleFilter.Lanczos))]
    [InlineData(nameof(ResampleFilter.Bilinear))]
    [InlineData(nameof(ResampleFilter.Nearest))]
    public void ConstantImageStaysConstant(string filterName)
    {
        var filter = Enum.Parse<ResampleFilter>(filterName);
        var source = TestImageFiles.Rgb(37, 23, (_, _, c) => 40 + (c * 90));
        var resized = ImageResampler.Resize(source, 16, 41, filter);
        resized.Width.Should().Be(16);
        resized.Height.Should().Be(41);
        for (var c = 0; c < 3; c++)
        {
            Enumerable.Range(0, 16 * 41).Select(i => resized.Pixels[(i * 3) + c]).Should().OnlyContain(v => v == 40 + (c * 90));
        }
    }

    [Fact]
    public void SameSizeIsAnExactCopy()
    {
        var source = TestImageFiles.Gray(9, 4, (y, x) => (y * 31) + (x * 17));
        var resized = ImageResampler.Resize(source, 9, 4, ResampleFilter.Lanczos);
        resized.Pixels.Should().Equal(source.Pixels);
        resized.Pixels.Should().NotBeSameAs(source.Pixels);
    }

    [Fact]
    public void NearestAccumulatesTheSourcePosition()
    {
        // 7 -> 3: positions 7/6, 7/6 + 7/3, ... -> source columns 1, 3, 5.
        var source = TestImageFiles.Gray(7, 1, (_, x) => x * 10);
        ImageResampler.Resize(source, 3, 1, ResampleFilter.Nearest).Pixels.Should().Equal(10, 30, 50);

        // Upscaling 2 -> 5 repeats: positions 0.2, 0.6, 1.0, 1.4, 1.8.
        var two = TestImageFiles.Gray(2, 1, (_, x) => x == 0 ? 7 : 200);
        ImageResampler.Resize(two, 5, 1, ResampleFilter.Nearest).Pixels.Should().Equal(7, 7, 200, 200, 200);
    }

    [Fact]
    public void NearestMatchesPillowWhereTheDirectFormulaDiffers()
    {
        // For 320 -> 224 the accumulated position and (x + 0.5) * scale pick different source columns at 20
        // outputs; the accumulated rule is Pillow's (checked bit for bit on the golden masks).
        const int inSize = 320;
        const int outSize = 224;
        var source = TestImageFiles.Gray(inSize, 1, (_, x) => x % 256);
        var resized = ImageResampler.Resize(source, outSize, 1, ResampleFilter.Nearest);
        var scale = (double)inSize / outSize;
        var pos = scale / 2;
        var differences = 0;
        for (var x = 0; x < outSize; x++, pos += scale)
        {
            resized.Pixels[x].Should().Be((byte)((int)pos % 256), $"output column {x}");
            differences += (int)pos != (int)((x + 0.5) * scale) ? 1 : 0;
        }

        differences.Should().Be(20);
    }

    [Fact]
    public void LanczosDownscaleOvershootIsClippedAfterTheHorizontalPass()
    {
        // A hard 0/255 edge rings; the 8-bit intermediate clips to [0, 255] so no value wraps around.
        var source = TestImageFiles.Gray(40, 40, (y, x) => (x / 5 + y / 5) % 2 == 0 ? 0 : 255);
        var resized = ImageResampler.Resize(source, 17, 13, ResampleFilter.Lanczos);
        resized.Pixels.Should().Contain(0).And.Contain(255);
    }

    [Fact]
    public void BilinearUpscaleInterpolatesBetweenNeighbours()
    {
        // 2 -> 4 with triangle weights: centres at 0.25, 0.75 of the source grid -> 0, 64, 191, 255 after rounding.
        var source = TestImageFiles.Gray(2, 1, (_, x) => x == 0 ? 0 : 255);
        ImageResampler.Resize(source, 4, 1, ResampleFilter.Bilinear).Pixels.Should().Equal(0, 64, 191, 255);
    }

    [Fact]
    public void LanczosAgreesWithAFloatReferenceWithinOneLevel()
    {
        var source = TestImageFiles.Gray(50, 1, (_, x) => (int)(127.5 + (100 * Math.Sin(x * 0.3))));
        var resized = ImageResampler.Resize(source, 21, 1, ResampleFilter.Lanczos);
        var scale = 50.0 / 21;
        for (var x = 0; x < 21; x++)
        {
            var center = (x + 0.5) * scale;
            double sum = 0, weights = 0;
            for (var j = 0; j < 50; j++)
            {
                var t = (j + 0.5 - center) / scale;
                var w = Math.Abs(t) < 3 ? Sinc(t) * Sinc(t / 3) : 0;
                sum += w * source.Pixels[j];
                weights += w;
            }

            var expected = Math.Clamp(sum / weights, 0, 255);
            ((double)resized.Pixels[x]).Should().BeApproximately(expected, 1.0, $"output column {x}");
        }
    }

    private static double Sinc(double t) => t == 0 ? 1 : Math.Sin(Math.PI * t) / (Math.PI * t);
}

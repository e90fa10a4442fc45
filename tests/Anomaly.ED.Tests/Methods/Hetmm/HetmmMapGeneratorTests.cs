using Anomaly.ED.Methods.Hetmm;
using Anomaly.ED.Tests.TestSupport;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Hetmm;

public sealed class HetmmMapGeneratorTests
{
    // Odd and even kernels, kernels wider than the map, non-square maps: the separable blur must give the 2-D convolution
    // with the reference's kernel and padding, shape included (an even kernel adds a row and a column). The convolution is
    // taken in float64: in float32 its 1,089 products per pixel (33x33) carry rounding of about 2e-6 themselves.
    [Theory]
    [InlineData(4.0, 33, 2, 40, 56)]
    [InlineData(3.0, 32, 1, 37, 29)]
    [InlineData(15.0, 61, 3, 20, 24)]
    [InlineData(1.0, 1, 1, 5, 7)]
    public void BlurEqualsTheConvolutionWithTheTwoDimensionalKernel(double sigma, int size, int batch, int height, int width)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        var maps = rand(new long[] { batch, height, width }, generator: generator) * 3;
        var kernel = HetmmMapGenerator.BlurKernel(sigma, size).view(1, 1, size, size);
        var expected = nn.functional.conv2d(maps.unsqueeze(1).to(ScalarType.Float64), kernel.to(ScalarType.Float64), padding: [size / 2, size / 2]).squeeze(1).to(ScalarType.Float32);

        var blurred = HetmmMapGenerator.Blur(maps, sigma, size);

        blurred.shape.Should().Equal(expected.shape);
        TensorAssert.AllClose(blurred, expected, 1e-6, 0, $"blur s={sigma} k={size}");
    }
}

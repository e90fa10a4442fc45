using System.Text.Json;
using Anomaly.ED.Formats;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.TestSupport;

/// <summary>Checks a full tensor against the compact form of golden/pipeline files: SHA-256, a stored band and five statistics.</summary>
/// <remarks>See golden/pipeline/README.md, "Compact form": sums get atol scaled by the element count, min and max get atol.</remarks>
internal static class CompactGolden
{
    /// <summary>Asserts the band and the statistics of <paramref name="actual"/> within <paramref name="atol"/>; returns the largest band difference.</summary>
    public static double AssertClose(SafetensorsFile file, string name, Tensor actual, double atol)
    {
        using var scope = NewDisposeScope();
        var shape = JsonDocument.Parse(file.Metadata["shapes"]).RootElement.GetProperty(name).EnumerateArray().Select(e => e.GetInt64()).ToArray();
        actual.shape.Should().Equal(shape, $"shape of '{name}'");

        var band = JsonDocument.Parse(file.Metadata["bands"]).RootElement.GetProperty(name);
        var slice = actual.cpu().to(ScalarType.Float64);
        var axis = 0;
        foreach (var range in band.EnumerateArray())
        {
            var start = range[0].GetInt64();
            var stop = range[1].GetInt64();
            slice = slice.narrow(axis++, start, stop - start);
        }

        var expectedBand = file.ReadTensor(name + ".band").to(ScalarType.Float64);
        TensorAssert.AllClose(slice, expectedBand, atol, 0, name + ".band");

        var stats = file.ReadArray<double>(name + ".stats");
        var flat = actual.cpu().to(ScalarType.Float64).flatten();
        var n = flat.numel();
        var maxAbs = flat.abs().max().item<double>();
        var actualStats = new[]
        {
            flat.sum().item<double>(), flat.abs().sum().item<double>(), (flat * flat).sum().item<double>(),
            flat.min().item<double>(), flat.max().item<double>(),
        };
        var tolerances = new[] { n * atol, n * atol, 2 * n * atol * maxAbs, atol, atol };
        var names = new[] { "sum", "sum of |x|", "sum of x^2", "min", "max" };
        for (var i = 0; i < 5; i++)
        {
            Math.Abs(actualStats[i] - stats[i]).Should().BeLessThanOrEqualTo(tolerances[i], $"{names[i]} of '{name}'");
        }

        return (slice - expectedBand).abs().max().item<double>();
    }

    /// <summary>Unpacks numpy packbits (most significant bit first) along the last axis.</summary>
    public static bool[] UnpackBits(byte[] packed, int width)
    {
        var rows = packed.Length / (width / 8);
        var result = new bool[rows * width];
        for (var r = 0; r < rows; r++)
        {
            for (var x = 0; x < width; x++)
            {
                result[r * width + x] = (packed[r * (width / 8) + x / 8] & (0x80 >> (x % 8))) != 0;
            }
        }

        return result;
    }
}

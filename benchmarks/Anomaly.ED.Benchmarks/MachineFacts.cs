using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Runtime;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>What the machine can do at most: float32 matrix-multiply rate and memory bandwidth, measured.</summary>
internal static class MachineFacts
{
    /// <summary>Best of a few 2048 x 2048 float32 matrix products, in GFLOP/s, with the current thread setting.</summary>
    public static double MatmulGflops()
    {
        using var scope = NewDisposeScope();
        const int n = 2048;
        var a = randn(n, n);
        var b = randn(n, n);
        var c = empty(n, n);
        a.matmul(b);
        var best = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            using (var product = a.matmul(b))
            {
                c.copy_(product);
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return 2.0 * n * n * n / best / 1e9;
    }

    /// <summary>Best of a few copies of a 256 MiB float32 tensor, counting bytes read plus written, in GB/s.</summary>
    public static double CopyBandwidthGBs()
    {
        using var scope = NewDisposeScope();
        const long elements = 64L << 20;
        var source = ones(elements);
        var target = zeros(elements);
        target.copy_(source);
        var best = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            target.copy_(source);
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return 2.0 * elements * sizeof(float) / best / 1e9;
    }

    /// <summary>One line describing the machine.</summary>
    public static string Describe()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return string.Create(CultureInfo.InvariantCulture, $"{model ?? "unknown CPU"}, {Environment.ProcessorCount} logical / {IntraOpThreads.PhysicalCores()} physical cores, {Environment.OSVersion}, .NET {Environment.Version}");
    }
}

using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Methods.Hetmm;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// HETMM's template matching per level of the default preset (wide_resnet101_2 at 256x256: 64x64x256 with 9x9 windows,
/// 32x32x512 and 16x16x1024 with 7x7), against one plain matrix product of the same multiply-adds: the ratio is the
/// matching's distance to what this machine's BLAS reaches.
/// </summary>
internal static class MatchingBenchmark
{
    public static int Run(string[] args)
    {
        var count = BenchmarkArgs.Int(args, "--templates", 200);
        var repeats = BenchmarkArgs.Int(args, "--repeats", 3);
        torch.set_num_threads(BenchmarkArgs.Int(args, "--threads", torch.get_num_threads()));
        Console.WriteLine($"matching: {count} templates, torch threads {torch.get_num_threads()}, best of {repeats}");
        (int Size, int Channels, int Window)[] levels = [(64, 256, 9), (32, 512, 7), (16, 1024, 7)];
        foreach (var (size, channels, window) in levels)
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator(1);
            var queries = nn.functional.normalize(randn(new long[] { 1, channels, size, size }, generator: generator), dim: 1);
            var templates = nn.functional.normalize(randn(new long[] { size * size, count, channels }, generator: generator), dim: -1);
            var macs = (double)size * size * window * window * channels * count;
            var matching = Best(repeats, () => TemplateMatcher.BestSimilarities(queries, templates, window, 3));
            using var left = randn(size * size * window * window / 8, channels);
            using var right = randn(channels, count * 8);
            var gemm = Best(repeats, () => matmul(left, right));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {size}x{size}x{channels}, {window}x{window}: {macs / 1e9:F2} GMAC, matching {matching:F3} s ({macs / matching / 1e9:F1} GMAC/s), plain product {gemm:F3} s ({macs / gemm / 1e9:F1} GMAC/s), ratio {matching / gemm:F2}"));
        }

        return 0;
    }

    private static double Best(int repeats, Func<object> action)
    {
        var best = double.MaxValue;
        for (var i = 0; i <= repeats; i++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            action();
            if (i > 0)
            {
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }
        }

        return best;
    }
}

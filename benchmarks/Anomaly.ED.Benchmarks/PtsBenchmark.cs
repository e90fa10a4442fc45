using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Methods.Hetmm;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// HETMM pixel-level template selection (PTS) at the reference's size: N templates (default 200) of a 256x256 input
/// through wide_resnet101_2's layer1..3 (64x64 x 256, 32x32 x 512, 16x16 x 1024 channels), K sheets (default 60).
/// Random unit vectors stand in for features: the work per position (N x N similarities, OPTICS, medoids, hard
/// normals) does not depend on the values.
/// </summary>
internal static class PtsBenchmark
{
    private static readonly (string Name, int Channels, int Size)[] Levels = [("layer1", 256, 64), ("layer2", 512, 32), ("layer3", 1024, 16)];

    public static int Run(string[] args)
    {
        var templates = BenchmarkArgs.Int(args, "--templates", 200);
        var sheets = BenchmarkArgs.Int(args, "--sheets", 60);
        var threads = BenchmarkArgs.Int(args, "--threads", 0);
        if (threads > 0)
        {
            torch.set_num_threads(threads);
        }

        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, torch threads {torch.get_num_threads()}, {Environment.OSVersion}, .NET {Environment.Version}");
        Console.WriteLine($"PTS: N = {templates} templates, K = {sheets} sheets, min_samples = {PatchTemplateSelection.MinSamples(templates, sheets)}, CPU");
        var total = 0.0;
        foreach (var (name, channels, size) in Levels)
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator(1);
            var features = nn.functional.normalize(randn(new long[] { templates, channels, size, size }, generator: generator), dim: 1);
            var watch = Stopwatch.StartNew();
            var chosen = PatchTemplateSelection.Select(features, sheets);
            var seconds = watch.Elapsed.TotalSeconds;
            total += seconds;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {name} {size}x{size} x {channels}: {seconds:F2} s ({size * size / seconds:F0} positions/s), output [{string.Join(", ", chosen.shape)}]"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  all three levels: {total:F2} s"));
        return 0;
    }
}

using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Methods.Hetmm;
using Anomaly.ED.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// HETMM scoring end to end (backbone, matching, post-processing) at the reference's size: wide_resnet101_2 (untrained:
/// the cost does not depend on the weights), layer1..3 of a 256x256 input, N random unit-vector templates per pixel
/// (200 for the full set, 60 for a PTS set; the matching cost does not depend on the values), one image per call.
/// </summary>
internal static class HetmmBenchmark
{
    public static int Run(string[] args)
    {
        var images = BenchmarkArgs.Int(args, "--images", 3);
        var preset = args.SkipWhile(a => a != "--preset").Skip(1).FirstOrDefault() ?? HetmmPresets.Default;
        int[] counts = [BenchmarkArgs.Int(args, "--templates", 200), BenchmarkArgs.Int(args, "--sheets", 60)];
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, torch threads {torch.get_num_threads()}, {Environment.OSVersion}, .NET {Environment.Version}");
        Console.WriteLine($"HETMM: wide_resnet101_2, 256x256, preset {preset} ({HetmmPresets.Get(preset)}), {images} images per template count");
        using var detector = new EdDetectorBuilder().UseHetmm(preset).WithUntrainedBackbone().Build();
        var model = (HetmmModel)detector.Model;
        using var input = randn(1, 3, 256, 256);
        using (model.Extractor.Extract(input))
        {
        }

        var backboneWatch = Stopwatch.StartNew();
        for (var i = 0; i < images; i++)
        {
            using var features = model.Extractor.Extract(input);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  backbone alone: {backboneWatch.Elapsed.TotalSeconds / images:F2} s per image"));
        foreach (var count in counts)
        {
            using (var scope = NewDisposeScope())
            using (var generator = new Generator(1))
            {
                var state = detector.Stages.ToDictionary(
                    s => "hetmm.templates." + s.Name,
                    s => nn.functional.normalize(randn(new long[] { count, s.Channels, s.OutputSize(256), s.OutputSize(256) }, generator: generator), dim: 1));
                model.LoadState(state, "(benchmark)");
            }

            GC.Collect();
            ResetPeakRss();
            var before = CurrentRss();
            using (var warm = model.Score(input))
            {
            }

            var watch = Stopwatch.StartNew();
            for (var i = 0; i < images; i++)
            {
                using var maps = model.Score(input);
            }

            var seconds = watch.Elapsed.TotalSeconds / images;
            var peak = PeakRss();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {count} templates ({model.TemplateBytes / 1048576.0:F0} MB): {seconds:F2} s per image ({1 / seconds:F2} images/s); resident memory {before / 1048576.0:F0} MB before scoring, peak while scoring {peak / 1048576.0:F0} MB (temporaries {(peak - before) / 1048576.0:F0} MB)"));
        }

        return 0;
    }

    // Writing 5 to clear_refs resets VmHWM (Linux 4.0+), so the peak is that of scoring, not of building the store.
    private static void ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.WriteLine($"  (peak RSS not reset: {e.Message}; the peak includes building the store)");
        }
    }

    private static long CurrentRss() => StatusField("VmRSS:");

    private static long PeakRss() => StatusField("VmHWM:");

    // /proc/self/status reports kB; 0 where it is not available.
    private static long StatusField(string name)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return 0;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}

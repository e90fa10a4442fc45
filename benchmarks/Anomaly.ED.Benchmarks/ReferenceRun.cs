using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// The reference ED code timed by the reference benchmark script (a Python program that runs the original model and
/// trainer code with PyTorch on the CPU; see docs/benchmarks.md), run as a child process with the same thread count.
/// </summary>
/// <param name="Label">How the run is named in the table.</param>
/// <param name="PredictSeconds">Median seconds per predicted image.</param>
/// <param name="BackboneSeconds">Median seconds of the backbone alone per image.</param>
/// <param name="TrainStepSeconds">Median seconds per training step (batch 1, backbone included).</param>
/// <param name="PeakResidentMegabytes">The child's peak resident memory.</param>
internal sealed record ReferenceRun(string Label, double PredictSeconds, double BackboneSeconds, double TrainStepSeconds, double PeakResidentMegabytes)
{
    /// <summary>Runs the script and parses the JSON line it prints.</summary>
    /// <param name="settings">Where the script, the reference repository, Python and the BLAS library are.</param>
    /// <param name="retainedHeap">Whether glibc keeps freed memory (MALLOC_MMAP_MAX_=0 and a maximal trim threshold).</param>
    /// <param name="images">Images to predict.</param>
    /// <param name="steps">Training steps to time (after one warm-up step).</param>
    /// <param name="threads">Intra-op threads.</param>
    public static ReferenceRun Measure(ReferenceSettings settings, bool retainedHeap, int images, int steps, int threads)
    {
        var script = Path.Combine(settings.BenchDirectory, "ed_reference_bench.py");
        if (!File.Exists(script))
        {
            throw new FileNotFoundException($"The reference benchmark script was not found at '{script}' (--reference-bench).", script);
        }

        var start = new ProcessStartInfo(settings.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = settings.BenchDirectory,
        };
        foreach (var argument in new[] { script, "--ed-mirror", settings.EdRepository, "--arch", "wide_resnet50_2", "--images", Text(images), "--train-steps", Text(steps), "--threads", Text(threads) })
        {
            start.ArgumentList.Add(argument);
        }

        if (settings.BlasDirectory is { } blas)
        {
            start.Environment["LD_LIBRARY_PATH"] = blas;
        }

        if (retainedHeap)
        {
            start.Environment["MALLOC_MMAP_MAX_"] = "0";
            start.Environment["MALLOC_TRIM_THRESHOLD_"] = "4294967295";
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{settings.Python}'.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.TrimStart().StartsWith('{'));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The reference benchmark failed (exit code {process.ExitCode}): {error.Result.Trim()}");
        }

        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        return new ReferenceRun(
            retainedHeap ? "reference, retained heap" : "reference, default heap",
            root.GetProperty("predict_s_per_image").GetProperty("median").GetDouble(),
            root.GetProperty("backbone_s_per_image").GetDouble(),
            root.GetProperty("train_step_s_per_image").GetProperty("median").GetDouble(),
            root.GetProperty("max_rss_mb").GetDouble());
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Where the reference benchmark's pieces are.</summary>
/// <param name="BenchDirectory">The folder of ed_reference_bench.py.</param>
/// <param name="EdRepository">A git directory (a bare mirror is enough) of github.com/Vzoooong/ED.</param>
/// <param name="Python">The Python interpreter with PyTorch and torchvision.</param>
/// <param name="BlasDirectory">A folder put first on LD_LIBRARY_PATH for the BLAS PyTorch loads (OpenBLAS), or null.</param>
internal sealed record ReferenceSettings(string BenchDirectory, string EdRepository, string Python, string? BlasDirectory);

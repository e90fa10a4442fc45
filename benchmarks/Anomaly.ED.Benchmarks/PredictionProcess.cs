using System.Diagnostics;
using System.Globalization;
using TorchSharp;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// Prediction as a deployed application runs it: a fresh process loads the saved model and predicts, so its peak
/// resident memory is prediction's alone (the training process keeps the optimiser state and the token cache).
/// </summary>
internal static class PredictionProcess
{
    private const string Command = "e2e-predict";

    /// <summary>Runs this program in a child process on the model and images; returns seconds per image (batch 1) and the child's peak RSS.</summary>
    public static (double SecondsPerImage, double PeakMegabytes) Measure(string modelPath, IReadOnlyList<string> images, int threads)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark's own path is unknown."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { Command, modelPath, threads.ToString(CultureInfo.InvariantCulture) }.Concat(images))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the prediction process.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("predict-only ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The prediction process failed (exit code {process.ExitCode}): {error.Result.Trim()}");
        }

        var parts = line.Split(' ');
        return (double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>The child's side: <c>e2e-predict MODEL THREADS IMAGE...</c>.</summary>
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.Length < 4 || args[0] != Command)
        {
            return false;
        }

        torch.set_num_threads(int.Parse(args[2], CultureInfo.InvariantCulture));
        var images = args[3..];
        using var detector = EdDetector.Load(args[1]);
        detector.Predict(images.Take(1).ToArray());
        var watch = Stopwatch.StartNew();
        detector.Predict(images, new PredictOptions { BatchSize = 1 });
        var seconds = watch.Elapsed.TotalSeconds / images.Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"predict-only {seconds:R} {ProcessMemory.PeakResidentMegabytes() ?? double.NaN:R}"));
        return true;
    }
}

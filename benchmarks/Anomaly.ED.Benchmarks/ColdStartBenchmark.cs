using System.Diagnostics;
using System.Globalization;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// <c>coldstart MODEL IMAGE [--runs N] [--no-warm-up]</c>: fresh processes load the model and predict one image ten
/// times; the first, second and tenth prediction's seconds, and the load's, as a service that just started or an
/// <c>anomaly-ed predict</c> of a few images pays them. Runs are sequential, never two processes at once.
/// </summary>
internal static class ColdStartBenchmark
{
    private const string Child = "coldstart-child";
    private const int Predictions = 10;

    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: coldstart MODEL IMAGE [--runs N] [--no-warm-up]");
            return 2;
        }

        var runs = BenchmarkArgs.Int(args, "--runs", 3);
        var warmUp = !args.Contains("--no-warm-up");
        Console.WriteLine(MachineFacts.Describe());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}; warm-up at load: {warmUp}"));
        Console.WriteLine("run  load s  first s  second s  tenth s  median 2-10 s  first/median");
        for (var run = 1; run <= runs; run++)
        {
            var times = RunChild(args[0], args[1], warmUp);
            // The median of the warm predictions: one slow tenth (another process's time slice) would skew the ratio.
            var warm = times[2..].Order().ElementAt((Predictions - 1) / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{run,3}  {times[0],6:F2}  {times[1],7:F3}  {times[2],8:F3}  {times[Predictions],7:F3}  {warm,13:F3}  {times[1] / warm,12:F2}"));
        }

        return 0;
    }

    /// <summary>The child's side: load, then ten predictions of the same image, one line of seconds each.</summary>
    public static bool TryRunChild(string[] args)
    {
        if (args.Length != 4 || args[0] != Child)
        {
            return false;
        }

        var watch = Stopwatch.StartNew();
        using var detector = EdDetector.Load(args[1], new LoadOptions { WarmUp = bool.Parse(args[3]) });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seconds {watch.Elapsed.TotalSeconds:R}"));
        for (var i = 0; i < Predictions; i++)
        {
            watch.Restart();
            detector.Predict(args[2]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seconds {watch.Elapsed.TotalSeconds:R}"));
        }

        return true;
    }

    // Index 0: the load; 1 to 10: the predictions.
    private static double[] RunChild(string model, string image, bool warmUp)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark's own path is unknown."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { Child, model, image, warmUp.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the cold-start process.");
        var error = process.StandardError.ReadToEndAsync();
        var times = process.StandardOutput.ReadToEnd().Split('\n')
            .Where(l => l.StartsWith("seconds ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[8..], CultureInfo.InvariantCulture)).ToArray();
        process.WaitForExit();
        return process.ExitCode == 0 && times.Length == Predictions + 1
            ? times
            : throw new InvalidOperationException($"The cold-start process failed (exit code {process.ExitCode}): {error.Result.Trim()}");
    }
}

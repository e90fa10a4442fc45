using System.Diagnostics;
using System.Globalization;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// <c>cotenancy MODEL IMAGE [--seconds S]</c>: one fresh process predicts the image for S seconds alone, then two such
/// processes at once; each one's images/s, and as a share of the solo rate. Two libtorch processes on one machine (a
/// service beside a training job, two tool runs) must each keep a fair share, not collapse.
/// </summary>
internal static class CoTenancyBenchmark
{
    private const string Child = "cotenancy-child";

    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: cotenancy MODEL IMAGE [--seconds S]");
            return 2;
        }

        var seconds = BenchmarkArgs.Int(args, "--seconds", 20);
        Console.WriteLine(MachineFacts.Describe());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}; OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}, GOMP_SPINCOUNT={Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") ?? "(unset)"}"));
        var solo = Measure(1, args[0], args[1], seconds)[0];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"alone:    {solo:F2} images/s"));
        var pair = Measure(2, args[0], args[1], seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"together: {pair[0]:F2} and {pair[1]:F2} images/s ({pair[0] / solo:P0} and {pair[1] / solo:P0} of alone)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}"));
        return 0;
    }

    /// <summary>The child's side: load (warm), then predict until the deadline; prints images/s.</summary>
    public static bool TryRunChild(string[] args)
    {
        if (args.Length != 4 || args[0] != Child)
        {
            return false;
        }

        using var detector = EdDetector.Load(args[1]);
        var seconds = double.Parse(args[3], CultureInfo.InvariantCulture);
        var watch = Stopwatch.StartNew();
        var images = 0;
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            detector.Predict(args[2]);
            images++;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rate {images / watch.Elapsed.TotalSeconds:R}"));
        return true;
    }

    // Starts the processes together; each loads, then predicts for the same span.
    private static double[] Measure(int processes, string model, string image, int seconds)
    {
        var started = Enumerable.Range(0, processes).Select(_ =>
        {
            var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark's own path is unknown."))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { Child, model, image, seconds.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start a co-tenancy process.");
            return (Process: process, Output: process.StandardOutput.ReadToEndAsync(), Error: process.StandardError.ReadToEndAsync());
        }).ToArray();

        return [.. started.Select(p =>
        {
            using var process = p.Process;
            process.WaitForExit();
            var line = p.Output.Result.Split('\n').FirstOrDefault(l => l.StartsWith("rate ", StringComparison.Ordinal));
            return process.ExitCode == 0 && line is not null
                ? double.Parse(line[5..], CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"A co-tenancy process failed (exit code {process.ExitCode}): {p.Error.Result.Trim()}");
        })];
    }
}

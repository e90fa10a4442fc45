using System.Diagnostics;

namespace Anomaly.ED.Tests.TestSupport;

/// <summary>
/// The test assembly's entry point, so that a test can run part of itself in a child process it may kill (the test
/// host never calls it): <c>dotnet Anomaly.ED.Tests.dll</c> with <see cref="ModeVariable"/> set runs that mode,
/// without it the program does nothing.
/// </summary>
internal static class ChildProcess
{
    public const string ModeVariable = "ANOMALY_ED_TEST_CHILD";

    public static int Main(string[] args) => Environment.GetEnvironmentVariable(ModeVariable) switch
    {
        "save-loop" => SaveLoop(args[0], args[1..^1], args[^1]),
        null => 0,
        var mode => throw new ArgumentException($"Unknown child mode '{mode}'."),
    };

    /// <summary>Starts this assembly as a child process in <paramref name="mode"/>, with its standard output redirected.</summary>
    public static Process Start(string mode, params string[] arguments)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        var start = new ProcessStartInfo(host, [typeof(ChildProcess).Assembly.Location, .. arguments])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment[ModeVariable] = mode;
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
    }

    /// <summary>Saves the given models, in turn, to one path, forever, writing "saved N" after each save.</summary>
    private static int SaveLoop(string first, string[] others, string target)
    {
        var detectors = new[] { first }.Concat(others).Select(p => EdDetector.Load(p)).ToArray();
        for (var i = 0L; ; i++)
        {
            detectors[i % detectors.Length].Save(target);
            Console.Out.WriteLine($"saved {i}");
            Console.Out.Flush();
        }
    }
}

using System.Diagnostics;
using Anomaly.ED.Data;

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
        "load-mvtec" => LoadMvtec(args[0], Enum.Parse<DatasetSplit>(args[1]), Enum.Parse<BadFilePolicy>(args[2])),
        null => 0,
        var mode => throw new ArgumentException($"Unknown child mode '{mode}'."),
    };

    /// <summary>Whether this process runs as root (where permission bits do not stop it).</summary>
    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>Starts this assembly as a child process in <paramref name="mode"/>, with its standard output redirected.</summary>
    /// <param name="mode">The child mode.</param>
    /// <param name="arguments">The mode's arguments.</param>
    /// <param name="asNobody">Run as the unprivileged user nobody (the parent must be root on Linux), so that permission bits apply.</param>
    public static Process Start(string mode, string[] arguments, bool asNobody = false)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        string[] command = [dotnet, typeof(ChildProcess).Assembly.Location, .. arguments];
        if (asNobody)
        {
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", .. command];
        }

        var start = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment[ModeVariable] = mode;
        start.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
    }

    /// <summary>
    /// Lists and loads an MVTec AD category (bottle); writes "loaded N skipped M", or the exception's type, the path it
    /// names and its message, tab-separated.
    /// </summary>
    public static int LoadMvtec(string root, DatasetSplit split, BadFilePolicy policy)
    {
        try
        {
            var dataset = MvtecAdDataset.Open(root, "bottle", split, policy);
            var loader = new DatasetLoader(new ImageTransform(ImageTransformOptions.EdSquare(8)), new DatasetLoaderOptions { BadFiles = policy });
            var loaded = 0;
            foreach (var batch in loader.ReadBatches(dataset.Items))
            {
                loaded += batch.Count;
                batch.Dispose();
            }

            Console.Out.WriteLine($"loaded {loaded} skipped {loader.SkippedCount}");
        }
        catch (Exception e)
        {
            var path = e switch
            {
                DatasetException d => d.Path,
                ImageDecodeException i => i.FilePath,
                _ => string.Empty,
            };
            Console.Out.WriteLine($"{e.GetType().Name}\t{path}\t{e.Message.ReplaceLineEndings(" ")}");
        }

        return 0;
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

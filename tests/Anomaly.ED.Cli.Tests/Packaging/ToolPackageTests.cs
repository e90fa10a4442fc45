using System.Diagnostics;
using System.Security.Cryptography;
using Anomaly.ED.Tests.Build;
using Xunit.Abstractions;

namespace Anomaly.ED.Cli.Tests.Packaging;

/// <summary>
/// The tool as a user installs it: packs <c>src/Anomaly.ED.Cli</c> as a .NET tool, installs it from that local folder
/// with the README's command (<c>dotnet tool install --global Anomaly.ED.Cli --add-source ./nupkg</c>, into a home
/// folder of its own, with only the dotnet executable and chmod on PATH and no other package source), and runs the installed
/// <c>anomaly-ed</c>. The package (about 370 MB: the CPU libtorch of three platforms) is packed from this test run's
/// build once and cached beside the tests, keyed by the tool's build output, so a run with an unchanged tool only
/// installs (about 10 s).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ToolPackageTests(CliDatasets data, ITestOutputHelper output) : IDisposable
{
    private const string PackageId = "Anomaly.ED.Cli";

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif

    private readonly string folder = Directory.CreateTempSubdirectory("anomaly-ed-tool-").FullName;

    [LinuxX64Fact]
    public void The_packed_tool_installs_from_a_folder_feed_and_runs()
    {
        var dotnet = new IsolatedDotnet(Path.Combine(folder, "path"));

        // 'dotnet tool install' runs chmod to make the tool's launcher executable, so a user's PATH has it too.
        File.CreateSymbolicLink(Path.Combine(dotnet.ToolsFolder, "chmod"), FindOnPath("chmod"));
        var feed = Step("pack (or reuse the cached package)", () => CachedPackage(dotnet));
        var work = Directory.CreateDirectory(Path.Combine(folder, "work")).FullName;
        File.WriteAllText(Path.Combine(work, "nuget.config"), """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /></packageSources></configuration>
            """);
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_CLI_HOME"] = Path.Combine(folder, "home"),
            ["NUGET_PACKAGES"] = Path.Combine(folder, "packages"),
        };

        var install = Step("dotnet tool install", () => dotnet.Run(Path.Combine(dotnet.ToolsFolder, "dotnet"), work, ["tool", "install", "--global", PackageId, "--add-source", feed], environment));
        install.ExitCode.Should().Be(0, install.Output);
        install.Output.Should().Contain("was successfully installed");

        var tool = Path.Combine(folder, "home", ".dotnet", "tools", "anomaly-ed");
        environment["DOTNET_ROOT"] = Path.GetDirectoryName(new FileInfo(Path.Combine(dotnet.ToolsFolder, "dotnet")).ResolveLinkTarget(returnFinalTarget: true)!.FullName)!;
        var help = dotnet.Run(tool, work, ["--help"], environment);
        help.ExitCode.Should().Be(0, help.Output);
        help.Output.Should().Contain("fit <DATA>").And.Contain("test <MODEL> <DATA>").And.Contain("info <MODEL>");

        // info reads the model's tensors, so the installed tool's TorchSharp native libraries load.
        var info = Step("anomaly-ed info", () => dotnet.Run(tool, work, ["info", data.ModelPath], environment));
        info.ExitCode.Should().Be(0, info.Output);
        info.Output.Should().Contain("resnet18").And.Contain("(verified)").And.Contain("training data");

        var missing = dotnet.Run(tool, work, ["info", Path.Combine(work, "missing.edmodel")], environment);
        missing.ExitCode.Should().Be(ExitCodes.InvalidInput, missing.Output);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>The folder feed holding the tool package of this build: packed once per change of the tool's build output.</summary>
    private string CachedPackage(IsolatedDotnet dotnet)
    {
        var project = Path.Combine(RepositoryRoot(), "src", "Anomaly.ED.Cli");
        var cacheRoot = Path.Combine(AppContext.BaseDirectory, "tool-package");
        var feed = Path.Combine(cacheRoot, BuildOutputKey(Path.Combine(project, "bin", BuildConfiguration, "net10.0"), Path.Combine(project, "Anomaly.ED.Cli.csproj")));
        if (Directory.Exists(feed) && Directory.GetFiles(feed, PackageId + ".*.nupkg").Length == 1)
        {
            output.WriteLine($"reusing {feed}");
            return feed;
        }

        if (Directory.Exists(cacheRoot))
        {
            Directory.Delete(cacheRoot, recursive: true); // one cached package at a time: each is hundreds of megabytes
        }

        var packed = Path.Combine(folder, "feed");
        var pack = dotnet.Dotnet(project, "pack", "--no-build", "-c", BuildConfiguration, "-o", packed,
            $"-p:PublishDir={Path.Combine(folder, "publish")}/", $"-p:NuspecOutputPath={Path.Combine(folder, "nuspec")}/");
        pack.ExitCode.Should().Be(0, pack.Output);
        var package = Directory.GetFiles(packed, "*.nupkg").Should().ContainSingle().Subject;
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            entries.Should().Contain(["tools/net10.0/any/anomaly-ed.dll", "tools/net10.0/any/DotnetToolSettings.xml", "tools/net10.0/any/runtimes/linux-x64/native/libLibTorchSharp.so"]);
            entries.Should().NotContain(e => e.StartsWith("tools/net10.0/any/runtimes/", StringComparison.Ordinal) && e.EndsWith(".pdb", StringComparison.Ordinal), "native debug symbols stay out of the package");
        }

        Directory.CreateDirectory(cacheRoot);
        Directory.Move(packed, feed);
        return feed;
    }

    /// <summary>A hash of the tool's managed build output (names and content, native runtimes aside) and its project file.</summary>
    private static string BuildOutputKey(string buildOutput, string projectFile)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.GetFiles(buildOutput).Append(projectFile).Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }

    private static string FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"'{program}' is not on PATH.");

    private T Step<T>(string name, Func<T> step)
    {
        var watch = Stopwatch.StartNew();
        var result = step();
        output.WriteLine($"{name}: {watch.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Anomaly.ED.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Anomaly.ED.sln above {AppContext.BaseDirectory}.");
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Anomaly.ED.Build;
using Anomaly.ED.Data;
using Anomaly.ED.Tests.Data;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Build;

/// <summary>
/// The package as an application sees it: packs Anomaly.ED to a local folder, creates outside the repository a
/// class library that references it and a console project that references that library and TorchSharp-cpu, and
/// builds, runs and publishes the console project with nothing but the dotnet executable on PATH (no patchelf,
/// no compiler). On a system whose libstdc++ lacks GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04) this is the
/// package's buildTransitive fix at work, and turning it off makes the program fail; elsewhere the build output
/// stays byte-identical. The publish (self-contained, single file, native libraries bundled) uses 'always', so it
/// is patched on any system. Two to four minutes on two cores, most of it in the builds and the publish.
/// </summary>
public sealed partial class PackageConsumerTests(ITestOutputHelper output) : IDisposable
{
    private const string AppName = "ConsumerApp";
    private const string LibraryName = "ConsumerLibrary";
    private const string PatchLogLine = "Anomaly.ED: made the GLIBCXX_3.4.32 requirement of libLibTorchSharp.so weak";

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif

    private readonly TempDirectory folder = new();
    // Anomaly.ED depends on Anomaly.ED.Core, packed with the same version.
    private static readonly string[] Packages = ["Anomaly.ED.Core", "Anomaly.ED"];

    private readonly string packageVersion = "0.1.0-e2e" + Guid.NewGuid().ToString("N");

    [LinuxX64Fact]
    public void A_console_app_referencing_the_package_builds_runs_and_publishes_with_only_the_dotnet_sdk()
    {
        var dotnet = new IsolatedDotnet(folder.Combine("path"));
        Directory.GetFileSystemEntries(dotnet.ToolsFolder).Select(Path.GetFileName).Should().Equal("dotnet");
        var packageLibrary = TorchSharpNativeLibrary.InPackageFolder();
        packageLibrary.Should().NotBeNull("the test project restored TorchSharp {0}", TorchSharpNativeLibrary.Version);
        var packageHash = Sha256(packageLibrary!);
        var expectPatch = SystemLacksGlibcxx3432();

        var feed = Step("pack", () => Pack(dotnet));
        var app = WriteConsoleApp(feed);

        var build = Step("build", () => Succeeds(dotnet.Dotnet(app, "build", "-c", "Debug")));
        foreach (var (directory, name) in new[] { (folder.Combine(LibraryName), LibraryName), (app, AppName) })
        {
            File.ReadAllText(Path.Combine(directory, "obj", name + ".csproj.nuget.g.targets"))
                .Should().Contain("buildTransitive/Anomaly.ED.targets", "the direct reference and the one through the library both import it");
        }

        CountPatchLines(build).Should().Be(expectPatch ? 1 : 0, "the patch is logged once, and only where it is needed");
        var builtLibrary = Path.Combine(app, "bin", "Debug", "net10.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        ShouldBeThePackageFileWithWeakFlag(builtLibrary, packageLibrary!, expectPatch);

        var run = Step("run", () => Succeeds(dotnet.Dotnet(app, "run", "--no-build", "-c", "Debug", "--", folder.Combine("data-run"))));
        ShouldHaveScoredAnImage(run);

        var publishDir = folder.Combine("publish");
        // 'always' patches whatever this system's libstdc++ has, as for an image built here to run on Debian 12.
        var publish = Step("publish self-contained single file", () => Succeeds(dotnet.Dotnet(app, "publish", "-c", "Debug", "-r", "linux-x64",
            "--self-contained", "-p:PublishSingleFile=true", "-p:IncludeNativeLibrariesForSelfExtract=true",
            "-p:AnomalyEdPatchLibTorchSharp=always", "-o", publishDir)));
        publish.Output.Should().Contain("(AnomalyEdPatchLibTorchSharp is 'always')");
        Directory.GetFiles(publishDir).Select(Path.GetFileName).Should().NotContain("libLibTorchSharp.so", "the native libraries are inside the single file");
        var extractDir = folder.Combine("extract");
        var published = Step("run published", () => dotnet.Run(Path.Combine(publishDir, AppName), publishDir, [folder.Combine("data-published")],
            new Dictionary<string, string> { ["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = extractDir }));
        ShouldHaveScoredAnImage(Succeeds(published));
        var extracted = Directory.GetFiles(extractDir, "libLibTorchSharp.so", SearchOption.AllDirectories).Should().ContainSingle().Subject;
        ShouldBeThePackageFileWithWeakFlag(extracted, packageLibrary!, patched: true);

        var off = Step("build with the patch off", () => Succeeds(dotnet.Dotnet(app, "build", "-c", "Debug", "-p:AnomalyEdPatchLibTorchSharp=false")));
        CountPatchLines(off).Should().Be(0);
        File.ReadAllBytes(builtLibrary).Should().Equal(File.ReadAllBytes(packageLibrary!), "turning the patch off restores the package's file");
        if (expectPatch)
        {
            var unpatched = Step("run unpatched", () => dotnet.Dotnet(app, "run", "--no-build", "-c", "Debug", "--", folder.Combine("data-off")));
            unpatched.ExitCode.Should().NotBe(0, "without the patch TorchSharp cannot load here, which is what the test above relies on");
            unpatched.Output.Should().Contain("Failed to load native component LibTorchSharp");
        }

        Sha256(packageLibrary!).Should().Be(packageHash, "the NuGet package folder is never written");
    }

    public void Dispose()
    {
        folder.Dispose();
        foreach (var id in Packages)
        {
            var cached = Path.Combine(TorchSharpNativeLibrary.PackagesFolder, id.ToLowerInvariant(), packageVersion.ToLowerInvariant());
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true); // this run's own package version, restored only by this test
            }
        }
    }

    /// <summary>Runs one step and writes its wall time to the test output.</summary>
    private T Step<T>(string name, Func<T> step)
    {
        var watch = Stopwatch.StartNew();
        var result = step();
        output.WriteLine($"{name}: {watch.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    /// <summary>Packs the library as this test run built it (same configuration), writing nothing into the repository.</summary>
    private string Pack(IsolatedDotnet dotnet)
    {
        var repository = RepositoryRoot();
        var feed = folder.Combine("feed");
        foreach (var id in Packages)
        {
            Succeeds(dotnet.Dotnet(repository, "pack", Path.Combine(repository, "src", id, id + ".csproj"), "--no-build",
                "-c", BuildConfiguration, "-o", feed, $"-p:Version={packageVersion}", $"-p:NuspecOutputPath={folder.Combine("nuspec/" + id)}/"));
        }

        using (var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"Anomaly.ED.{packageVersion}.nupkg")))
        {
            package.Entries.Select(e => e.FullName).Should().Contain(
                ["buildTransitive/Anomaly.ED.targets", "buildTransitive/AnomalyEdWeakenGlibcxxRequirement.cs"]);
        }

        return feed;
    }

    /// <summary>
    /// A library that references the package and a console project that references the library, outside the
    /// repository; their nuget.config is the repository's plus the local feed.
    /// </summary>
    private string WriteConsoleApp(string feed)
    {
        var config = XDocument.Load(Path.Combine(RepositoryRoot(), "nuget.config"));
        config.Root!.Element("packageSources")!.Add(new XElement("add", new XAttribute("key", "anomaly-ed-e2e"), new XAttribute("value", feed)));
        config.Save(folder.Combine("nuget.config"));
        var library = folder.CreateFolder(LibraryName);
        File.WriteAllText(Path.Combine(library, LibraryName + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Anomaly.ED" Version="{packageVersion}" />
              </ItemGroup>
            </Project>
            """);
        var app = folder.CreateFolder(AppName);
        File.WriteAllText(Path.Combine(app, AppName + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="../{LibraryName}/{LibraryName}.csproj" />
                <PackageReference Include="TorchSharp-cpu" Version="{TorchSharpNativeLibrary.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using System.Globalization;
            using Anomaly.ED;
            using Anomaly.ED.Data;
            using TorchSharp;

            var root = args[0];
            using (torch.NewDisposeScope())
            {
                Console.WriteLine($"tensor-sum={torch.ones(2, 3).sum().item<float>().ToString(CultureInfo.InvariantCulture)}");
            }

            SyntheticDefectDataset.Generate(root, size: 64, trainCount: 4, testNormalCount: 1, testDefectsPerType: 0, seed: 3);
            using var detector = new EdDetectorBuilder()
                .WithBackbone("resnet18")
                .WithUntrainedBackbone()
                .WithImageSize(64)
                .WithLevels(["layer2", "layer3"], [32, 32])
                .WithNetwork(heads: 4, layers: 1)
                .WithEpochs(1)
                .WithBatchSize(4)
                .Build();
            detector.Fit(SyntheticDefectDataset.OpenTraining(root));
            var prediction = detector.Predict(Directory.GetFiles(Path.Combine(root, "test", "good"))[0]);
            Console.WriteLine($"score={prediction.Score.ToString(CultureInfo.InvariantCulture)}");
            """);
        return app;
    }

    private static void ShouldBeThePackageFileWithWeakFlag(string output, string package, bool patched)
    {
        var outputBytes = File.ReadAllBytes(output);
        var packageBytes = File.ReadAllBytes(package);
        if (!patched)
        {
            outputBytes.Should().Equal(packageBytes, "{0} needs no patch on this system", output);
            return;
        }

        var need = ElfVersionNeeds.Find(outputBytes, ElfVersionNeeds.Glibcxx3432, output)!;
        need.IsWeak.Should().BeTrue("{0} is the patched copy", output);
        outputBytes.Length.Should().Be(packageBytes.Length);
        Enumerable.Range(0, packageBytes.Length).Where(i => outputBytes[i] != packageBytes[i]).Should().Equal((int)need.FlagsOffset);
    }

    private static void ShouldHaveScoredAnImage(ProcessResult result)
    {
        result.Output.Should().Contain("tensor-sum=6");
        var score = ScoreLine().Match(result.Output);
        score.Success.Should().BeTrue(result.Output);
        float.IsFinite(float.Parse(score.Groups[1].Value, CultureInfo.InvariantCulture)).Should().BeTrue();
    }

    private static ProcessResult Succeeds(ProcessResult result)
    {
        result.ExitCode.Should().Be(0, result.Output);
        return result;
    }

    private static int CountPatchLines(ProcessResult result) =>
        result.Output.Split('\n').Count(line => line.Contains(PatchLogLine, StringComparison.Ordinal));

    /// <summary>The same question the package's targets ask: does the loader's libstdc++ define GLIBCXX_3.4.32?</summary>
    private static bool SystemLacksGlibcxx3432()
    {
        var libstdcxx = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" }.FirstOrDefault(File.Exists);
        return libstdcxx is not null && File.ReadAllBytes(libstdcxx).AsSpan().IndexOf("GLIBCXX_3.4.32"u8) < 0;
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

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

    [GeneratedRegex(@"score=(\S+)")]
    private static partial Regex ScoreLine();
}

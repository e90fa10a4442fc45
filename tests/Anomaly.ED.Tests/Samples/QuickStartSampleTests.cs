using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Formats;
using Anomaly.ED.Pretrained;
using Anomaly.ED.Samples.QuickStart;
using Anomaly.ED.Tests.Detector;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Samples;

/// <summary>Runs the quick-start sample in-process, as CI's smoke test of the main job.</summary>
[Collection(DetectorCollection.Name)]
public sealed class QuickStartSampleTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "anomaly-ed-tests", "quickstart-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper log;

    public QuickStartSampleTests(ITestOutputHelper log) => this.log = log;

    [Fact]
    public async Task SmokeRunPrintsMetricsAndWritesALoadableModelAndHeatmaps()
    {
        var output = Path.Combine(root, "out");
        var (code, stdout, stderr) = await RunWithEmptyWeightsCache(["--smoke", "--output", output]);

        code.Should().Be(0, stderr);
        stdout.Should().Contain("resnet18 with ImageNet weights resnet18.mlnet_in1k: ML.NET's ResNet18 from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18");
        stdout.Should().NotContain("UNTRAINED");
        stdout.Should().Contain("epoch 2/2");
        stdout.Should().MatchRegex(@"image AUROC [01]\.\d{3}, pixel AUROC [01]\.\d{3}, AUPRO [01]\.\d{3}");

        var modelPath = Path.Combine(output, "quickstart.edmodel");
        stdout.Should().Contain($"model: {modelPath}");
        using (var detector = EdDetector.Load(modelPath))
        {
            detector.IsFitted.Should().BeTrue();
            detector.Options.Backbone.ImageHeight.Should().Be(64);
            var image = Directory.GetFiles(Path.Combine(output, "dataset", "test", "stain"), "*.png")[0];
            float.IsFinite(detector.Predict(image).Score).Should().BeTrue();
        }

        var heatmaps = Path.Combine(output, "heatmaps");
        stdout.Should().Contain($"heatmaps: {heatmaps}");
        var panels = Directory.GetFiles(heatmaps, "*_panel.png");
        var overlays = Directory.GetFiles(heatmaps, "*_overlay.png");
        panels.Should().HaveCount(6, "the smoke size has 3 normal and 3 defective test images");
        overlays.Should().HaveCount(6);
        ImageDecoder.DecodeRgb(overlays[0]).Width.Should().Be(64);
        ImageDecoder.DecodeRgb(panels.First(p => Path.GetFileName(p).StartsWith("spot_", StringComparison.Ordinal))).Width
            .Should().BeGreaterThan(2 * 64, "a defective image's panel shows the image, the overlay and the true mask");

        File.Exists(Path.Combine(output, "report.json")).Should().BeTrue();
        var report = Anomaly.ED.Evaluation.EvaluationReport.LoadJson(Path.Combine(output, "report.json"));
        report.Overall.Images.Should().Be(6);
        log.WriteLine(stdout);
    }

    [Fact]
    public async Task UntrainedRunSaysSoAndEmbedsTheBackbone()
    {
        var output = Path.Combine(root, "untrained");
        var (code, stdout, stderr) = await RunWithEmptyWeightsCache(["--smoke", "--untrained", "--output", output]);

        code.Should().Be(0, stderr);
        stdout.Should().Contain("resnet18 with UNTRAINED backbone weights (random, seeded), as asked with --untrained.");
        stdout.Should().Contain("backbone weights included");
        using var detector = EdDetector.Load(Path.Combine(output, "quickstart.edmodel"));
        detector.IsFitted.Should().BeTrue();
    }

    [Fact]
    public async Task HetmmSmokeRunStoresTemplatesWithoutTraining()
    {
        var output = Path.Combine(root, "hetmm");
        var (code, stdout, stderr) = await RunWithEmptyWeightsCache(["--smoke", "--method", "hetmm", "--output", output]);

        code.Should().Be(0, stderr);
        stdout.Should().Contain("HETMM: no training").And.Contain("stored the features of 8 images").And.Contain("method          HETMM").And.Contain("matching        preset default");
        stdout.Should().MatchRegex(@"image AUROC [01]\.\d{3}, pixel AUROC [01]\.\d{3}, AUPRO [01]\.\d{3}");
        using var detector = EdDetector.Load(Path.Combine(output, "quickstart.edmodel"));
        detector.Method.Should().Be(DetectorMethod.Hetmm);
        log.WriteLine(stdout);
    }

    [Fact]
    public async Task UsesCachedPretrainedWeightsWithoutTheUntrainedNotice()
    {
        var cache = Path.Combine(root, "cache");
        var checkpoint = PretrainedCatalog.Get("resnet18");
        var file = Path.Combine(cache, checkpoint.RelativeCachePath);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var network = new ResNet(BackboneCatalog.Get("resnet18"), stageCount: 3, includeClassifier: false))
        {
            SafetensorsWriter.Save(file, network.OrderedStateDict());
        }

        var output = Path.Combine(root, "cached");
        // --download skips the packaged default; the checkpoint is cached, so nothing is downloaded.
        var (code, stdout, stderr) = await Run(["--smoke", "--download", "--output", output], cache);

        code.Should().Be(0, stderr);
        stdout.Should().Contain($"resnet18 with ImageNet weights resnet18.tv_in1k from the local cache: {file}");
        stdout.Should().NotContain("UNTRAINED");
        WithWeightsCache(cache, () =>
        {
            using var detector = EdDetector.Load(Path.Combine(output, "quickstart.edmodel"));
            detector.IsFitted.Should().BeTrue();
        });
    }

    [Fact]
    public async Task RefusesToOverwriteAFolderItDidNotWrite()
    {
        var output = Path.Combine(root, "foreign");
        var foreign = Path.Combine(output, "dataset", "keep.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(foreign)!);
        await File.WriteAllTextAsync(foreign, "user data");

        var (code, _, stderr) = await RunWithEmptyWeightsCache(["--smoke", "--output", output]);

        code.Should().Be(1);
        stderr.Should().Contain(Path.Combine(output, "dataset")).And.Contain("was not written by the quick start");
        stderr.Should().NotContain(" at ", "no stack trace without --verbose");
        File.Exists(foreign).Should().BeTrue();
    }

    [Theory]
    [InlineData("--frobnicate", "Unknown option '--frobnicate'")]
    [InlineData("--epochs", "Option '--epochs' needs a value.")]
    [InlineData("--epochs x", "Option '--epochs' needs an integer, got 'x'.")]
    [InlineData("--method lof", "Option '--method' needs one of ed, fod, hetmm, got 'lof'.")]
    [InlineData("--image-size 16", "Option '--image-size' must be at least 32, got 16.")]
    [InlineData("--weights /nonexistent/w.safetensors", "'/nonexistent/w.safetensors' does not exist")]
    [InlineData("--untrained --download", "--untrained excludes --weights and --download.")]
    public async Task BadCommandLinesExitWithOneAndAClearMessage(string args, string message)
    {
        var (code, _, stderr) = await RunWithEmptyWeightsCache([.. args.Split(' '), "--smoke", "--output", Path.Combine(root, "bad")]);

        code.Should().Be(1);
        stderr.Should().StartWith("error: ").And.Contain(message);
    }

    [Fact]
    public async Task HelpListsTheOptions()
    {
        var (code, stdout, _) = await RunWithEmptyWeightsCache(["--help"]);

        code.Should().Be(0);
        stdout.Should().Contain("--smoke").And.Contain("--download").And.Contain("--weights");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }

    // Points the weights cache at an empty folder so that the run is the same with or without a user's cached weights.
    private Task<(int Code, string Stdout, string Stderr)> RunWithEmptyWeightsCache(string[] args) => Run(args, Path.Combine(root, "empty-cache"));

    private static async Task<(int Code, string Stdout, string Stderr)> Run(string[] args, string cacheDirectory)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = 0;
        await WithWeightsCacheAsync(cacheDirectory, async () => code = await QuickStartRunner.RunCommandLineAsync(args, stdout, stderr));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void WithWeightsCache(string cacheDirectory, Action action) =>
        WithWeightsCacheAsync(cacheDirectory, () =>
        {
            action();
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();

    // Setting the process-wide variable is safe because the detector collection runs alone.
    private static async Task WithWeightsCacheAsync(string cacheDirectory, Func<Task> action)
    {
        var previous = Environment.GetEnvironmentVariable(PretrainedWeightsOptions.CacheDirectoryEnvironmentVariable);
        Environment.SetEnvironmentVariable(PretrainedWeightsOptions.CacheDirectoryEnvironmentVariable, cacheDirectory);
        try
        {
            await action();
        }
        finally
        {
            Environment.SetEnvironmentVariable(PretrainedWeightsOptions.CacheDirectoryEnvironmentVariable, previous);
        }
    }
}

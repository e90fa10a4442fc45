using Anomaly.ED.Data;
using Anomaly.ED.Tests.Data;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Build;

/// <summary>
/// The deployment without libtorch: publishes <c>samples/Anomaly.ED.OnnxRuntime.Sample</c> (which references only
/// Anomaly.ED.OnnxRuntime) for linux-x64, checks that no libtorch or TorchSharp file is in it, and runs it on an export.
/// </summary>
public sealed class OnnxRuntimeSampleTests(ITestOutputHelper output) : IDisposable
{
#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif

    private readonly TempDirectory folder = new();

    [LinuxX64Fact]
    public void ThePublishedSampleHoldsNoLibtorchAndScoresWithAnExport()
    {
        var dotnet = new IsolatedDotnet(folder.Combine("path"));
        var published = folder.Combine("published");
        var sample = Path.Combine(RepositoryRoot(), "samples", "Anomaly.ED.OnnxRuntime.Sample");
        var publish = dotnet.Dotnet(sample, "publish", "-c", BuildConfiguration, "-r", "linux-x64", "--self-contained", "false", "-o", published);
        publish.ExitCode.Should().Be(0, publish.Output);

        var files = Directory.GetFiles(published, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToArray();
        output.WriteLine($"{files.Length} files, {Directory.GetFiles(published, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1048576.0:F1} MiB");
        files.Should().Contain("libonnxruntime.so").And.Contain("Anomaly.ED.OnnxRuntime.dll").And.Contain("Anomaly.ED.Core.dll");
        files.Should().NotContain(f => f!.Contains("torch", StringComparison.OrdinalIgnoreCase) || f.StartsWith("libc10", StringComparison.Ordinal) || f == "Anomaly.ED.dll");

        var data = folder.Combine("data");
        SyntheticDefectDataset.Generate(data, size: 32, trainCount: 2, testNormalCount: 0, testDefectsPerType: 0, seed: 7);
        var model = folder.Combine("model.onnx");
        var image = SyntheticDefectDataset.OpenTraining(data).Items[0].ImagePath;
        float expected;
        using (var detector = new EdDetectorBuilder().WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(32)
            .WithLevels(["layer1"], [16]).WithNetwork(heads: 2, layers: 1, feedForwardScale: 1).WithEpochs(1).WithBatchSize(2).WithSeed(1).Build())
        {
            detector.Fit(SyntheticDefectDataset.OpenTraining(data));
            detector.ExportOnnx(model);
            expected = detector.Predict(image).Score;
        }

        var run = dotnet.Run(Path.Combine(published, "Anomaly.ED.OnnxRuntime.Sample"), published, [model, image]);
        run.ExitCode.Should().Be(0, run.Output);
        var score = float.Parse(run.Output.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
        score.Should().BeApproximately(expected, Math.Abs(expected) * 1e-4f, "the sample prints the score with five decimals");
        File.Exists(Path.ChangeExtension(image, ".overlay.png")).Should().BeTrue();
    }

    public void Dispose() => folder.Dispose();

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Anomaly.ED.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Anomaly.ED.sln) was not found above the test output.");
    }
}

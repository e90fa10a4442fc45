using Anomaly.ED.Data;

namespace Anomaly.ED.Cli.Tests;

/// <summary>
/// Tiny generated datasets (64x64 synthetic texture, 6 normal training images, 3 normal and 3 defective test images) in
/// each layout the tool reads, and one model fitted once through the tool for the verbs that need one.
/// </summary>
public sealed class CliDatasets : IAsyncLifetime
{
    public const int Size = 64;

    /// <summary>The tiny configuration: resnet18 with random weights, two one-layer transformers of width 32, one epoch.</summary>
    public static readonly string[] TinyTraining =
    [
        "--backbone", "resnet18", "--untrained", "--image-size", "64", "--levels", "layer2,layer3", "--dims", "32,32",
        "--heads", "4", "--layers", "1", "--epochs", "1", "--batch-size", "4", "--learning-rate", "0.001", "--seed", "5",
        "--progress-interval", "0",
    ];

    /// <summary>The tiny configuration with another number of epochs.</summary>
    public static string[] WithEpochs(int epochs) =>
        [.. CliDatasets.TinyTraining.Select((a, i) => i > 0 && TinyTraining[i - 1] == "--epochs" ? epochs.ToString(System.Globalization.CultureInfo.InvariantCulture) : a)];

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "anomaly-ed-cli-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The synthetic dataset as generated: it is laid out like an MVTec AD category.</summary>
    public string Mvtec => Path.Combine(Root, "mvtec", "bottle");

    public string Btad => Path.Combine(Root, "btad", "01");

    public string Mvtec3d => Path.Combine(Root, "mvtec3d", "bagel");

    /// <summary>A folder of normal images for fit.</summary>
    public string PlainTraining => Path.Combine(Root, "plain", "train");

    /// <summary>good/, one folder per defect type and ground_truth/ for test.</summary>
    public string PlainTest => Path.Combine(Root, "plain", "test");

    public string ModelPath => Path.Combine(Root, "model.edmodel");

    public string Layout(string name) => name switch
    {
        "mvtec" => Mvtec,
        "btad" => Btad,
        "mvtec3d" => Mvtec3d,
        _ => PlainTraining,
    };

    public string TestLayout(string name) => name == "folder" ? PlainTest : Layout(name);

    public string NewFolder()
    {
        var path = Path.Combine(Root, "out", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public async Task InitializeAsync()
    {
        SyntheticDefectDataset.Generate(Mvtec, Size, trainCount: 6, testNormalCount: 3, testDefectsPerType: 1, seed: 11);
        var train = Directory.GetFiles(Path.Combine(Mvtec, "train", "good"));
        var normals = Directory.GetFiles(Path.Combine(Mvtec, "test", "good"));
        var defects = SyntheticDefectDataset.DefectTypes.SelectMany(t => Directory.GetFiles(Path.Combine(Mvtec, "test", t)).Select(f => (Type: t, File: f))).ToArray();
        string Mask((string Type, string File) d) => Path.Combine(Mvtec, "ground_truth", d.Type, Path.GetFileNameWithoutExtension(d.File) + "_mask.png");

        Copy(train, Path.Combine(Btad, "train", "ok"));
        Copy(normals, Path.Combine(Btad, "test", "ok"));
        foreach (var (d, i) in defects.Select((d, i) => (d, i)))
        {
            Copy(d.File, Path.Combine(Btad, "test", "ko", $"{i:D4}.png"));
            Copy(Mask(d), Path.Combine(Btad, "ground_truth", "ko", $"{i:D4}.png"));
        }

        Copy(train, Path.Combine(Mvtec3d, "train", "good", "rgb"));
        Copy(normals, Path.Combine(Mvtec3d, "test", "good", "rgb"));
        foreach (var d in defects)
        {
            Copy(d.File, Path.Combine(Mvtec3d, "test", d.Type, "rgb", Path.GetFileName(d.File)));
            Copy(Mask(d), Path.Combine(Mvtec3d, "test", d.Type, "gt", Path.GetFileName(d.File)));
        }

        Copy(train, PlainTraining);
        Copy(normals, Path.Combine(PlainTest, "good"));
        foreach (var d in defects)
        {
            Copy(d.File, Path.Combine(PlainTest, d.Type, Path.GetFileName(d.File)));
            Copy(Mask(d), Path.Combine(PlainTest, "ground_truth", d.Type, Path.GetFileName(Mask(d))));
        }

        var fit = await CliRun.RunAsync(["fit", Mvtec, "--output", ModelPath, "--plain", .. TinyTraining]);
        fit.ExitCode.Should().Be(0, fit.Output);
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }

        return Task.CompletedTask;
    }

    private static void Copy(IEnumerable<string> files, string directory)
    {
        foreach (var file in files)
        {
            Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }
    }

    private static void Copy(string file, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(file, target);
    }
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliDatasets>
{
    public const string Name = "cli";
}

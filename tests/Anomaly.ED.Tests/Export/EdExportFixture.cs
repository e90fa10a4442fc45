using Anomaly.ED.Data;

namespace Anomaly.ED.Tests.Export;

/// <summary>A tiny generated 64x64 dataset, and one small ED detector fitted on it, shared by the export tests.</summary>
public sealed class EdExportFixture : IDisposable
{
    private readonly Lazy<EdDetector> detector;

    public EdExportFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "anomaly-ed-tests", Guid.NewGuid().ToString("N"));
        SyntheticDefectDataset.Generate(Root, size: 64, trainCount: 6, testNormalCount: 2, testDefectsPerType: 1, seed: 21);
        Training = SyntheticDefectDataset.OpenTraining(Root);
        Test = SyntheticDefectDataset.OpenTest(Root);
        detector = new(() =>
        {
            var fitted = NewBuilder().Build();
            fitted.Fit(Training);
            return fitted;
        });
    }

    public string Root { get; }

    public ImageDataset Training { get; }

    public ImageDataset Test { get; }

    /// <summary>ED with two layers per level, fitted for one epoch (parity needs weights that are not the initial ones, not a good detector).</summary>
    public EdDetector Detector => detector.Value;

    /// <summary>resnet18 (untrained) at 64x64, layer2 and layer3 (8x8 and 4x4 grids), small transformers, one epoch.</summary>
    public static EdDetectorBuilder NewBuilder() => new EdDetectorBuilder()
        .WithBackbone("resnet18")
        .WithUntrainedBackbone()
        .WithImageSize(64)
        .WithLevels(["layer2", "layer3"], [32, 16])
        .WithNetwork(heads: 4, layers: 2, feedForwardScale: 2)
        .WithEpochs(1)
        .WithBatchSize(2)
        .WithLearningRate(1e-3)
        .WithSeed(3);

    public string NewTempPath(string fileName)
    {
        var directory = Path.Combine(Root, "out", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, fileName);
    }

    public void Dispose()
    {
        if (detector.IsValueCreated)
        {
            detector.Value.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }
}

using Anomaly.ED.Backbones;
using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// wide_resnet50_2 feature extraction up to layer3 (ED's layer2 + layer3) at 256x256 on CPU. The weights
/// are torchvision's random initialisation: the arithmetic, and so the time, does not depend on their values.
/// </summary>
[MemoryDiagnoser]
public class BackboneBenchmarks
{
    private ResNetFeatureExtractor extractor = null!;
    private Tensor images = null!;

    /// <summary>Images per batch.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        extractor = ResNetFeatureExtractor.Create("wide_resnet50_2", ["layer2", "layer3"]);
        images = randn(Batch, 3, 256, 256);
        using var warmup = extractor.Extract(images);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        images.Dispose();
        extractor.Dispose();
    }

    /// <summary>One batch through stem, layer1, layer2 and layer3; the maps are disposed at once.</summary>
    [Benchmark]
    public long ExtractLayer2And3()
    {
        using var maps = extractor.Extract(images);
        return maps[1].shape[2];
    }
}

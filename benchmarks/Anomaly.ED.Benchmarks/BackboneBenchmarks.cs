using Anomaly.ED.Backbones;
using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// Feature extraction at 256x256 on CPU: wide_resnet50_2 up to layer3 (ED's layer2 + layer3) and resnet18 up to layer3
/// (HETMM's layer1 to layer3). The weights are torchvision's random initialisation: the arithmetic, and so the time, does
/// not depend on their values. <see cref="Extract"/> is the library's path (channels-last input on CPU);
/// <see cref="ContiguousInput"/> runs the same network on the (B, 3, H, W) batch as it is, the path before that change.
/// </summary>
[MemoryDiagnoser]
public class BackboneBenchmarks
{
    private ResNetFeatureExtractor extractor = null!;
    private Tensor images = null!;
    private bool[] wanted = null!;

    /// <summary>The backbone.</summary>
    [Params("wide_resnet50_2", "resnet18")]
    public string Architecture { get; set; } = "wide_resnet50_2";

    /// <summary>Images per batch.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string[] stages = Architecture == "resnet18" ? ["layer1", "layer2", "layer3"] : ["layer2", "layer3"];
        wanted = [false, .. new[] { "layer1", "layer2", "layer3", "layer4" }.Select(stages.Contains)];
        extractor = ResNetFeatureExtractor.Create(Architecture, stages);
        images = randn(Batch, 3, 256, 256);
        using var warmup = extractor.Extract(images);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        images.Dispose();
        extractor.Dispose();
    }

    /// <summary>One batch through the stem and the residual stages the method reads; the maps are disposed at once.</summary>
    [Benchmark(Baseline = true)]
    public long Extract()
    {
        using var maps = extractor.Extract(images);
        return maps[^1].shape[2];
    }

    /// <summary>The same network on the contiguous (B, 3, H, W) batch, without the channels-last layout.</summary>
    [Benchmark]
    public long ContiguousInput()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var maps = extractor.Network.ForwardStages(images, wanted, FeatureActivation.PostRelu);
        return maps[^1].shape[2];
    }
}

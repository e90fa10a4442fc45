using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Methods.Ed.Scoring;
using Anomaly.ED.Methods.Ed.Training;
using Anomaly.ED.Scoring;
using Anomaly.ED.Training;
using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// One ED level network at its real size (wide_resnet50_2 at 256x256): level 1 = layer2, 32x32 grid, 512 channels,
/// d_model 256; level 2 = layer3, 16x16 grid, 1024 channels, d_model 512; both 8 heads and 3 layers. Batch 1, float32, CPU.
/// </summary>
[MemoryDiagnoser]
public class NetworkBenchmarks
{
    private EdLevelNetwork network = null!;
    private EdOptimizationStep step = null!;
    private Tensor tokens = null!;

    /// <summary>Which level to measure.</summary>
    [Params(1, 2)]
    public int Level { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        var options = Level == 1
            ? EdLevelOptions.Ed(32, 32, 512, 256, heads: 8, layers: 3)
            : EdLevelOptions.Ed(16, 16, 1024, 512, heads: 8, layers: 3);
        network = new EdLevelNetwork(options);
        using (var reference = rand(options.InputChannels, options.TokenCount))
        {
            network.SetReferenceFeatures(reference);
        }

        tokens = randn(1, options.TokenCount, options.InputChannels).DetachFromDisposeScope();
        step = new EdOptimizationStep([network]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        step.Dispose();
        network.Dispose();
        tokens.Dispose();
    }

    /// <summary>Eval-mode forward pass and per-token scores of one image.</summary>
    [Benchmark]
    public float InferenceForwardAndScore()
    {
        network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var output = network.call(tokens);
        using var scores = EdTokenScorer.Compute(output, tokens);
        return scores.Final.max().item<float>();
    }

    /// <summary>One minimax training step (forward, both backward passes, Adam) on one image.</summary>
    [Benchmark]
    public double TrainingStep() => step.Step([tokens])[0].Loss1;
}

using Anomaly.ED.Backbones;
using static TorchSharp.torch;

namespace Anomaly.ED.Export;

/// <summary>
/// Walks a library ResNet from the normalised images to its extractor's stages, with every batch norm folded into the
/// convolution before it, handing each step to an <see cref="IResNetOperations{TValue}"/>. Each convolution is folded
/// once, on its first walk, and kept until the walk is disposed: a calibration walks once per batch.
/// </summary>
internal sealed class ResNetWalk : IDisposable
{
    // torchvision's BatchNorm2d default, which the library's ResNet keeps.
    private const double BatchNormEpsilon = 1e-5;

    private readonly ResNetFeatureExtractor resnet;
    private readonly Dictionary<string, Tensor> weights;
    private readonly Dictionary<string, FoldedConvolution> folded = new(StringComparer.Ordinal);

    /// <exception cref="NotSupportedException">The extractor is not one of the library's ResNets.</exception>
    public ResNetWalk(IFeatureExtractor extractor)
    {
        resnet = extractor as ResNetFeatureExtractor
            ?? throw new NotSupportedException($"ONNX export supports the library's ResNet backbones; this model's backbone is {extractor.Architecture} ({extractor.GetType().Name}).");
        weights = resnet.NamedWeights().ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    /// <summary>The extractor's stages, shallow to deep, pre- or post-ReLU as it reads them.</summary>
    public IReadOnlyList<TValue> Walk<TValue>(IResNetOperations<TValue> operations, TValue images)
    {
        var architecture = resnet.ResNetArchitecture;
        var wanted = resnet.Stages.Select(s => architecture.StageIndex(s.Name)).ToHashSet();
        var deepest = wanted.Max();
        var preRelu = resnet.Activation == FeatureActivation.PreRelu;

        var outputs = new List<TValue>();
        var x = operations.MaxPool(operations.Convolution(images, Fold("conv1", "bn1", stride: 2, padding: 3), relu: true));
        if (wanted.Contains(0))
        {
            // The stem's output is after its ReLU whatever the activation asked for, as the torch model reads it.
            outputs.Add(operations.Feature(x, x, preRelu: false));
        }

        for (var stage = 1; stage <= deepest; stage++)
        {
            var blocks = architecture.BlockCounts[stage - 1];
            for (var b = 0; b < blocks; b++)
            {
                var block = $"layer{stage}.{b}";
                var sum = ResidualSum(operations, x, architecture.Block, block, stride: stage > 1 && b == 0 ? 2 : 1);
                x = operations.Relu(sum, block);
                if (b == blocks - 1 && wanted.Contains(stage))
                {
                    // The torch model takes the pre-ReLU sum of the stage's last block when asked (HETMM reads it).
                    outputs.Add(operations.Feature(sum, x, preRelu));
                }
            }
        }

        return outputs;
    }

    /// <summary>Disposes the folded kernels and biases.</summary>
    public void Dispose()
    {
        foreach (var convolution in folded.Values)
        {
            convolution.Weight.Dispose();
            convolution.Bias.Dispose();
        }

        folded.Clear();
    }

    private TValue ResidualSum<TValue>(IResNetOperations<TValue> operations, TValue input, ResNetBlockKind kind, string block, int stride)
    {
        TValue x;
        if (kind == ResNetBlockKind.Basic)
        {
            x = operations.Convolution(input, Fold($"{block}.conv1", $"{block}.bn1", stride, padding: 1), relu: true);
            x = operations.Convolution(x, Fold($"{block}.conv2", $"{block}.bn2", stride: 1, padding: 1), relu: false);
        }
        else
        {
            x = operations.Convolution(input, Fold($"{block}.conv1", $"{block}.bn1", stride: 1, padding: 0), relu: true);
            x = operations.Convolution(x, Fold($"{block}.conv2", $"{block}.bn2", stride, padding: 1), relu: true);
            x = operations.Convolution(x, Fold($"{block}.conv3", $"{block}.bn3", stride: 1, padding: 0), relu: false);
        }

        var identity = weights.ContainsKey($"{block}.downsample.0.weight")
            ? operations.Convolution(input, Fold($"{block}.downsample.0", $"{block}.downsample.1", stride, padding: 0), relu: false)
            : input;
        return operations.Add(x, identity, block);
    }

    // Eval-mode batch norm after a bias-free convolution is a per-channel scale and shift: folded into the kernel and a
    // bias, computed in float64 and rounded once.
    private FoldedConvolution Fold(string conv, string bn, int stride, int padding)
    {
        if (folded.TryGetValue(conv, out var known))
        {
            return known;
        }

        using var scope = NewDisposeScope();
        var kernel = weights[$"{conv}.weight"].to(ScalarType.Float64);
        var gamma = weights[$"{bn}.weight"].to(ScalarType.Float64);
        var beta = weights[$"{bn}.bias"].to(ScalarType.Float64);
        var mean = weights[$"{bn}.running_mean"].to(ScalarType.Float64);
        var variance = weights[$"{bn}.running_var"].to(ScalarType.Float64);
        var factor = gamma / (variance + BatchNormEpsilon).sqrt();
        var weight = (kernel * factor.view(-1, 1, 1, 1)).to(ScalarType.Float32).DetachFromDisposeScope();
        var bias = (beta - mean * factor).to(ScalarType.Float32).DetachFromDisposeScope();
        return folded[conv] = new FoldedConvolution(conv, weight, bias, stride, padding);
    }
}

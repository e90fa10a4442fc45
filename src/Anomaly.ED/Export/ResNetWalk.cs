using Anomaly.ED.Backbones;
using static TorchSharp.torch;

namespace Anomaly.ED.Export;

/// <summary>
/// Walks a library ResNet from the normalised images to its extractor's stages, with every batch norm folded into the
/// convolution before it, handing each step to an <see cref="IResNetOperations{TValue}"/>.
/// </summary>
internal static class ResNetWalk
{
    // torchvision's BatchNorm2d default, which the library's ResNet keeps.
    private const double BatchNormEpsilon = 1e-5;

    /// <summary>The extractor's stages, shallow to deep, pre- or post-ReLU as it reads them.</summary>
    /// <remarks>The folded kernels are made in the caller's dispose scope.</remarks>
    /// <exception cref="NotSupportedException">The extractor is not one of the library's ResNets.</exception>
    public static IReadOnlyList<TValue> Walk<TValue>(IFeatureExtractor extractor, IResNetOperations<TValue> operations, TValue images)
    {
        var resnet = extractor as ResNetFeatureExtractor
            ?? throw new NotSupportedException($"ONNX export supports the library's ResNet backbones; this model's backbone is {extractor.Architecture} ({extractor.GetType().Name}).");
        var architecture = resnet.ResNetArchitecture;
        var wanted = resnet.Stages.Select(s => architecture.StageIndex(s.Name)).ToHashSet();
        var deepest = wanted.Max();
        var preRelu = resnet.Activation == FeatureActivation.PreRelu;
        var weights = resnet.NamedWeights().ToDictionary(kv => kv.Key, kv => kv.Value);

        var outputs = new List<TValue>();
        var x = operations.MaxPool(operations.Convolution(images, Fold(weights, "conv1", "bn1", stride: 2, padding: 3), relu: true));
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
                var sum = ResidualSum(operations, weights, x, architecture.Block, block, stride: stage > 1 && b == 0 ? 2 : 1);
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

    private static TValue ResidualSum<TValue>(IResNetOperations<TValue> operations, Dictionary<string, Tensor> weights, TValue input, ResNetBlockKind kind, string block, int stride)
    {
        TValue x;
        if (kind == ResNetBlockKind.Basic)
        {
            x = operations.Convolution(input, Fold(weights, $"{block}.conv1", $"{block}.bn1", stride, padding: 1), relu: true);
            x = operations.Convolution(x, Fold(weights, $"{block}.conv2", $"{block}.bn2", stride: 1, padding: 1), relu: false);
        }
        else
        {
            x = operations.Convolution(input, Fold(weights, $"{block}.conv1", $"{block}.bn1", stride: 1, padding: 0), relu: true);
            x = operations.Convolution(x, Fold(weights, $"{block}.conv2", $"{block}.bn2", stride, padding: 1), relu: true);
            x = operations.Convolution(x, Fold(weights, $"{block}.conv3", $"{block}.bn3", stride: 1, padding: 0), relu: false);
        }

        var identity = weights.ContainsKey($"{block}.downsample.0.weight")
            ? operations.Convolution(input, Fold(weights, $"{block}.downsample.0", $"{block}.downsample.1", stride, padding: 0), relu: false)
            : input;
        return operations.Add(x, identity, block);
    }

    // Eval-mode batch norm after a bias-free convolution is a per-channel scale and shift: folded into the kernel and a
    // bias, computed in float64 and rounded once.
    private static FoldedConvolution Fold(Dictionary<string, Tensor> weights, string conv, string bn, int stride, int padding)
    {
        var kernel = weights[$"{conv}.weight"].to(ScalarType.Float64);
        var gamma = weights[$"{bn}.weight"].to(ScalarType.Float64);
        var beta = weights[$"{bn}.bias"].to(ScalarType.Float64);
        var mean = weights[$"{bn}.running_mean"].to(ScalarType.Float64);
        var variance = weights[$"{bn}.running_var"].to(ScalarType.Float64);
        var factor = gamma / (variance + BatchNormEpsilon).sqrt();
        var folded = (kernel * factor.view(-1, 1, 1, 1)).to(ScalarType.Float32);
        var bias = (beta - mean * factor).to(ScalarType.Float32);
        return new FoldedConvolution(conv, folded, bias, stride, padding);
    }
}

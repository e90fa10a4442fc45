using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using static TorchSharp.torch;
using DataType = Anomaly.ED.Formats.Onnx.TensorProto.Types.DataType;

namespace Anomaly.ED.Export;

/// <summary>The image input, its normalisation and the torchvision ResNet, as ONNX nodes.</summary>
internal static class OnnxBackbone
{
    /// <summary>The name of the graph input: the image already resized to the model's size, uint8 RGB (batch, height, width, 3).</summary>
    public const string ImageInput = "image";

    /// <summary>The symbolic batch dimension of every input and output.</summary>
    public const string BatchDimension = "batch";

    // torchvision's BatchNorm2d default, which the library's ResNet keeps.
    private const double BatchNormEpsilon = 1e-5;

    /// <summary>Declares the image input and normalises it as <see cref="ImageTransform"/> does: /255, minus the mean,
    /// divided by the standard deviation, in float32, then (B, 3, H, W).</summary>
    public static string AddImageInput(OnnxGraphBuilder g, int height, int width, ImageTransformOptions transform)
    {
        var image = g.Input(ImageInput, DataType.Uint8, BatchDimension, height, width, 3);
        using var scope = g.Scope("preprocess");
        var scaled = g.Div(g.Node("Cast", [image], OnnxGraphBuilder.Int("to", (long)DataType.Float)), g.Scalar(255f));
        var normalised = g.Div(g.Sub(scaled, g.Constant("mean", [.. transform.Mean], 3)), g.Constant("std", [.. transform.Std], 3));
        return g.Transpose(normalised, 0, 3, 1, 2);
    }

    /// <summary>The extractor's stages (shallow to deep, pre- or post-ReLU as it reads them) from a normalised batch,
    /// with every batch norm folded into the convolution before it.</summary>
    /// <exception cref="NotSupportedException">The extractor is not one of the library's ResNets.</exception>
    public static IReadOnlyList<string> AddFeatures(OnnxGraphBuilder g, IFeatureExtractor extractor, string images)
    {
        if (extractor is not ResNetFeatureExtractor resnet)
        {
            throw new NotSupportedException($"ONNX export supports the library's ResNet backbones; this model's backbone is {extractor.Architecture} ({extractor.GetType().Name}).");
        }

        var architecture = resnet.ResNetArchitecture;
        var wanted = resnet.Stages.Select(s => architecture.StageIndex(s.Name)).ToHashSet();
        var deepest = wanted.Max();
        var preRelu = resnet.Activation == FeatureActivation.PreRelu;
        var weights = resnet.NamedWeights().ToDictionary(kv => kv.Key, kv => kv.Value);
        using var scope = g.Scope("backbone");
        using var tensors = NewDisposeScope();

        var outputs = new List<string>();
        var x = g.Relu(ConvBatchNorm(g, weights, images, "conv1", "bn1", stride: 2, padding: 3));
        x = g.Node("MaxPool", [x], OnnxGraphBuilder.Ints("kernel_shape", 3, 3), OnnxGraphBuilder.Ints("strides", 2, 2), OnnxGraphBuilder.Ints("pads", 1, 1, 1, 1));
        if (wanted.Contains(0))
        {
            outputs.Add(x);
        }

        for (var stage = 1; stage <= deepest; stage++)
        {
            var blocks = architecture.BlockCounts[stage - 1];
            for (var b = 0; b < blocks; b++)
            {
                var sum = ResidualSum(g, weights, x, architecture.Block, $"layer{stage}.{b}", stride: stage > 1 && b == 0 ? 2 : 1);
                x = g.Relu(sum);
                if (b == blocks - 1 && wanted.Contains(stage))
                {
                    // The torch model takes the pre-ReLU sum of the stage's last block when asked (HETMM reads it).
                    outputs.Add(preRelu ? sum : x);
                }
            }
        }

        return outputs;
    }

    private static string ResidualSum(OnnxGraphBuilder g, Dictionary<string, Tensor> weights, string input, ResNetBlockKind kind, string block, int stride)
    {
        string x;
        if (kind == ResNetBlockKind.Basic)
        {
            x = g.Relu(ConvBatchNorm(g, weights, input, $"{block}.conv1", $"{block}.bn1", stride, padding: 1));
            x = ConvBatchNorm(g, weights, x, $"{block}.conv2", $"{block}.bn2", stride: 1, padding: 1);
        }
        else
        {
            x = g.Relu(ConvBatchNorm(g, weights, input, $"{block}.conv1", $"{block}.bn1", stride: 1, padding: 0));
            x = g.Relu(ConvBatchNorm(g, weights, x, $"{block}.conv2", $"{block}.bn2", stride, padding: 1));
            x = ConvBatchNorm(g, weights, x, $"{block}.conv3", $"{block}.bn3", stride: 1, padding: 0);
        }

        var identity = weights.ContainsKey($"{block}.downsample.0.weight")
            ? ConvBatchNorm(g, weights, input, $"{block}.downsample.0", $"{block}.downsample.1", stride, padding: 0)
            : input;
        return g.Add(x, identity);
    }

    // Eval-mode batch norm after a bias-free convolution is a per-channel scale and shift: folded into the kernel and a
    // bias, computed in float64 and rounded once.
    private static string ConvBatchNorm(OnnxGraphBuilder g, Dictionary<string, Tensor> weights, string x, string conv, string bn, int stride, int padding)
    {
        var kernel = weights[$"{conv}.weight"].to(ScalarType.Float64);
        var gamma = weights[$"{bn}.weight"].to(ScalarType.Float64);
        var beta = weights[$"{bn}.bias"].to(ScalarType.Float64);
        var mean = weights[$"{bn}.running_mean"].to(ScalarType.Float64);
        var variance = weights[$"{bn}.running_var"].to(ScalarType.Float64);
        var factor = gamma / (variance + BatchNormEpsilon).sqrt();
        var folded = (kernel * factor.view(-1, 1, 1, 1)).to(ScalarType.Float32);
        var bias = (beta - mean * factor).to(ScalarType.Float32);
        return g.Conv(x, folded, bias, conv, stride, padding);
    }
}

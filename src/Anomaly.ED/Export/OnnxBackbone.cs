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
        using var scope = g.Scope("backbone");
        using var tensors = NewDisposeScope();
        using var walk = new ResNetWalk(extractor);
        return walk.Walk(new FloatOperations(g), images);
    }

    private sealed class FloatOperations(OnnxGraphBuilder g) : IResNetOperations<string>
    {
        public string Convolution(string x, FoldedConvolution convolution, bool relu)
        {
            var y = g.Conv(x, convolution.Weight, convolution.Bias, convolution.Name, convolution.Stride, convolution.Padding);
            return relu ? g.Relu(y) : y;
        }

        public string MaxPool(string x) => g.Node("MaxPool", [x], OnnxGraphBuilder.Ints("kernel_shape", 3, 3), OnnxGraphBuilder.Ints("strides", 2, 2), OnnxGraphBuilder.Ints("pads", 1, 1, 1, 1));

        public string Add(string residual, string identity, string block) => g.Add(residual, identity);

        public string Relu(string sum, string block) => g.Relu(sum);

        public string Feature(string sum, string activated, bool preRelu) => preRelu ? sum : activated;
    }
}

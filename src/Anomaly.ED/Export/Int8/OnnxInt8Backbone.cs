using Anomaly.ED.Data;
using Anomaly.ED.Backbones;
using static TorchSharp.torch;

namespace Anomaly.ED.Export.Int8;

/// <summary>
/// The backbone as int8 ONNX nodes: the normalised image on the range every pixel value can reach, uint8 activations on
/// the calibrated ranges (<see cref="BackboneCalibration"/>) widened by <see cref="Headroom"/>, int8 kernels with one scale
/// per output channel, <c>QLinearConv</c> for every folded convolution (a ReLU is the saturation at a zero point of 0), the
/// residual sums in float32, and float32 stage outputs.
/// </summary>
/// <remarks>ONNX Runtime runs these products with its u8s8 kernels (AVX512-VNNI where the CPU has it: 3-4 times the
/// float32 convolution's speed on this project's CPU). On x86 CPUs without VNNI those kernels sum pairs of products in
/// 16 bits, which can saturate; the accuracy in docs/precision.md was measured with VNNI.</remarks>
internal static class OnnxInt8Backbone
{
    /// <summary>
    /// The factor by which the calibrated ranges are widened. Calibration sees normal images only, and a strong defect
    /// drives activations past their ranges: saturated there, it fades from the map (a generated defect's score fell by a
    /// third at 1x, by 3 % at 1.5x). Every widening costs resolution: on DeepPCB the metrics moved by up to 0.0025 at
    /// 1.5x and 0.015 at 3x (docs/precision.md).
    /// </summary>
    public const float Headroom = 1.5f;

    /// <summary>The extractor's stages as float32 values, from the normalised float32 images.</summary>
    /// <exception cref="ArgumentException">A value the graph quantizes has no calibrated range.</exception>
    public static IReadOnlyList<string> AddFeatures(OnnxGraphBuilder g, IFeatureExtractor extractor, string images, ImageTransformOptions transform, IReadOnlyDictionary<string, ActivationRange> ranges)
    {
        using var scope = g.Scope("backbone");
        using var tensors = NewDisposeScope();
        var operations = new Int8Operations(g, ranges);
        var quantized = operations.Quantize(images, UInt8Quantization.Covering(ImageRange(transform)));
        using var walk = new ResNetWalk(extractor);
        return [.. walk.Walk(operations, quantized).Select(feature => feature.Name)];
    }

    // Every value (pixel / 255 - mean) / std can take, so that no image saturates at the input.
    private static ActivationRange ImageRange(ImageTransformOptions transform)
    {
        var bounds = transform.Mean.Zip(transform.Std, (mean, std) => (Low: -mean / std, High: (1 - mean) / std)).ToArray();
        return new ActivationRange(bounds.Min(b => b.Low), bounds.Max(b => b.High));
    }

    /// <summary>A graph value: uint8 with its quantization, or float32 when <see cref="Quantization"/> is null.</summary>
    private sealed record Value(string Name, UInt8Quantization? Quantization);

    private sealed class Int8Operations(OnnxGraphBuilder g, IReadOnlyDictionary<string, ActivationRange> ranges) : IResNetOperations<Value>
    {
        public Value Quantize(string x, UInt8Quantization quantization) =>
            new(g.Node("QuantizeLinear", [x, g.Scalar(quantization.Scale), ZeroPoint(quantization)]), quantization);

        public Value Convolution(Value x, FoldedConvolution convolution, bool relu)
        {
            var input = x.Quantization ?? throw new InvalidOperationException($"The input of '{convolution.Name}' is not quantized.");

            // The calibration records a ReLU's output, whose range starts at 0: the zero point is 0 and uint8's saturation is the ReLU.
            var output = Parameters(convolution.Name);
            var weight = convolution.Weight;
            var weightScale = weight.abs().amax([1, 2, 3]).clamp_min(1e-12f) / sbyte.MaxValue;
            var kernel = (weight / weightScale.view(-1, 1, 1, 1)).round().clamp(-sbyte.MaxValue, sbyte.MaxValue).to(ScalarType.Int8);
            var bias = (convolution.Bias.to(ScalarType.Float64) / (weightScale.to(ScalarType.Float64) * input.Scale)).round().to(ScalarType.Int32);
            var y = g.Node(
                "QLinearConv",
                [
                    x.Name, g.Scalar(input.Scale), ZeroPoint(input),
                    g.Initializer(convolution.Name + ".weight", kernel), g.Initializer(convolution.Name + ".weight_scale", weightScale),
                    g.Initializer(convolution.Name + ".weight_zero_point", zeros(weightScale.shape[0], ScalarType.Int8)),
                    g.Scalar(output.Scale), ZeroPoint(output),
                    g.Initializer(convolution.Name + ".bias", bias),
                ],
                OnnxGraphBuilder.Ints("kernel_shape", weight.shape[2..]),
                OnnxGraphBuilder.Ints("strides", convolution.Stride, convolution.Stride),
                OnnxGraphBuilder.Ints("pads", convolution.Padding, convolution.Padding, convolution.Padding, convolution.Padding));
            return new Value(y, output);
        }

        // Max pooling commutes with a monotonic quantization, so it runs on the uint8 values.
        public Value MaxPool(Value x) =>
            x with { Name = g.Node("MaxPool", [x.Name], OnnxGraphBuilder.Ints("kernel_shape", 3, 3), OnnxGraphBuilder.Ints("strides", 2, 2), OnnxGraphBuilder.Ints("pads", 1, 1, 1, 1)) };

        public Value Add(Value residual, Value identity, string block) => new(g.Add(Float(residual), Float(identity)), null);

        public Value Relu(Value sum, string block) => Quantize(sum.Name, Parameters(block));

        public Value Feature(Value sum, Value activated, bool preRelu) =>
            sum.Quantization is not null ? new Value(Float(sum), null) : new Value(preRelu ? sum.Name : g.Relu(sum.Name), null);

        private string Float(Value x) =>
            x.Quantization is { } q ? g.Node("DequantizeLinear", [x.Name, g.Scalar(q.Scale), ZeroPoint(q)]) : x.Name;

        private string ZeroPoint(UInt8Quantization quantization)
        {
            using var scope = NewDisposeScope();
            return g.Initializer("zero_point", tensor(quantization.ZeroPoint));
        }

        private UInt8Quantization Parameters(string name) =>
            ranges.TryGetValue(name, out var range)
                ? UInt8Quantization.Covering(new ActivationRange(range.Min * Headroom, range.Max * Headroom))
                : throw new ArgumentException($"The calibration has no range for '{name}'.", nameof(ranges));
    }
}

using static TorchSharp.torch;

namespace Anomaly.ED.Export;

/// <summary>The standard operators the exported graphs use, written as the TorchSharp calls they stand for.</summary>
/// <remarks>Reductions take their axes as an attribute in opset 17 except ReduceSum, whose axes are an input since opset 13.</remarks>
internal static class OnnxOperators
{
    public static string Add(this OnnxGraphBuilder g, string a, string b) => g.Node("Add", [a, b]);

    public static string Sub(this OnnxGraphBuilder g, string a, string b) => g.Node("Sub", [a, b]);

    public static string Mul(this OnnxGraphBuilder g, string a, string b) => g.Node("Mul", [a, b]);

    public static string Div(this OnnxGraphBuilder g, string a, string b) => g.Node("Div", [a, b]);

    public static string MatMul(this OnnxGraphBuilder g, string a, string b) => g.Node("MatMul", [a, b]);

    public static string Relu(this OnnxGraphBuilder g, string x) => g.Node("Relu", [x]);

    /// <summary><c>reshape</c>; a 0 copies the input's dimension at that position (e.g. the symbolic batch).</summary>
    public static string Reshape(this OnnxGraphBuilder g, string x, params long[] shape) => g.Node("Reshape", [x, g.Int64s(shape)]);

    public static string Transpose(this OnnxGraphBuilder g, string x, params long[] permutation) =>
        g.Node("Transpose", [x], OnnxGraphBuilder.Ints("perm", permutation));

    public static string Unsqueeze(this OnnxGraphBuilder g, string x, params long[] axes) => g.Node("Unsqueeze", [x, g.Int64s(axes)]);

    public static string Squeeze(this OnnxGraphBuilder g, string x, params long[] axes) => g.Node("Squeeze", [x, g.Int64s(axes)]);

    public static string ReduceSum(this OnnxGraphBuilder g, string x, bool keepDims, params long[] axes) =>
        g.Node("ReduceSum", [x, g.Int64s(axes)], OnnxGraphBuilder.Int("keepdims", keepDims ? 1 : 0));

    public static string ReduceMean(this OnnxGraphBuilder g, string x, bool keepDims, params long[] axes) =>
        g.Node("ReduceMean", [x], OnnxGraphBuilder.Ints("axes", axes), OnnxGraphBuilder.Int("keepdims", keepDims ? 1 : 0));

    public static string ReduceMax(this OnnxGraphBuilder g, string x, bool keepDims, params long[] axes) =>
        g.Node("ReduceMax", [x], OnnxGraphBuilder.Ints("axes", axes), OnnxGraphBuilder.Int("keepdims", keepDims ? 1 : 0));

    public static string Softmax(this OnnxGraphBuilder g, string x, long axis) => g.Node("Softmax", [x], OnnxGraphBuilder.Int("axis", axis));

    /// <summary><c>x[..., start:end, ...]</c> along one axis.</summary>
    public static string Slice(this OnnxGraphBuilder g, string x, long axis, long start, long end) =>
        g.Node("Slice", [x, g.Int64s(start), g.Int64s(end), g.Int64s(axis)]);

    /// <summary><c>nn.functional.linear(x, weight, bias)</c>: the weight is stored transposed, so the node is one MatMul.</summary>
    public static string Linear(this OnnxGraphBuilder g, string x, Tensor weight, Tensor? bias, string name)
    {
        var product = g.MatMul(x, g.Initializer(name + ".weight_t", weight.t()));
        return bias is null ? product : g.Add(product, g.Initializer(name + ".bias", bias));
    }

    /// <summary>A 2-D convolution with a bias (both given as tensors), square kernel, stride, padding and groups.</summary>
    public static string Conv(this OnnxGraphBuilder g, string x, Tensor weight, Tensor? bias, string name, long stride = 1, long padding = 0, long groups = 1)
    {
        var kernel = weight.shape[2..];
        List<string> inputs = [x, g.Initializer(name + ".weight", weight)];
        if (bias is not null)
        {
            inputs.Add(g.Initializer(name + ".bias", bias));
        }

        return g.Node(
            "Conv",
            inputs,
            OnnxGraphBuilder.Ints("kernel_shape", kernel),
            OnnxGraphBuilder.Ints("strides", stride, stride),
            OnnxGraphBuilder.Ints("pads", padding, padding, padding, padding),
            OnnxGraphBuilder.Int("group", groups));
    }

    /// <summary><c>nn.LayerNorm</c> over the last dimension.</summary>
    public static string LayerNorm(this OnnxGraphBuilder g, string x, Tensor weight, Tensor bias, double epsilon, string name) =>
        g.Node(
            "LayerNormalization",
            [x, g.Initializer(name + ".weight", weight), g.Initializer(name + ".bias", bias)],
            OnnxGraphBuilder.Int("axis", -1),
            OnnxGraphBuilder.Float("epsilon", (float)epsilon));

    /// <summary>The exact GELU that <c>nn.functional.gelu</c> computes by default: x * 0.5 * (1 + erf(x / sqrt 2)).</summary>
    /// <remarks>ONNX's Gelu operator arrives only in opset 20.</remarks>
    public static string Gelu(this OnnxGraphBuilder g, string x)
    {
        var erf = g.Node("Erf", [g.Mul(x, g.Scalar((float)(1 / Math.Sqrt(2))))]);
        return g.Mul(g.Mul(x, g.Scalar(0.5f)), g.Add(erf, g.Scalar(1f)));
    }
}

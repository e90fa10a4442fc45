using System.Globalization;
using System.Text;
using Anomaly.ED.ModelFiles;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Anomaly.ED.Cli.Export;

/// <summary>
/// The <c>config.pbtxt</c> of a Triton model repository for an exported graph: platform <c>onnxruntime_onnx</c>,
/// the largest batch, dynamic batching, and every input and output with its name, type and dims as ONNX Runtime reads
/// them from the graph (the batch dimension left out, as Triton wants when <c>max_batch_size</c> is set).
/// </summary>
internal static class TritonConfig
{
    public const string FileName = "config.pbtxt";

    public const string ModelFileName = "model.onnx";

    /// <summary>The configuration text for the ONNX file at <paramref name="modelPath"/>.</summary>
    /// <exception cref="ModelFileException">ONNX Runtime cannot read the file, or a tensor's first dimension is not the batch.</exception>
    public static string For(string modelPath, string name, int maxBatch)
    {
        IReadOnlyDictionary<string, NodeMetadata> inputs, outputs;
        try
        {
            // Only the interface is read: no graph optimisation is needed for that.
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(modelPath, options);
            inputs = session.InputMetadata;
            outputs = session.OutputMetadata;
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelFileException(modelPath, $"ONNX Runtime cannot read it: {e.Message}", e);
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"name: \"{name}\"\n");
        text.Append("platform: \"onnxruntime_onnx\"\n");
        text.Append(CultureInfo.InvariantCulture, $"max_batch_size: {maxBatch}\n");
        Tensors(text, "input", inputs, modelPath);
        Tensors(text, "output", outputs, modelPath);
        text.Append("dynamic_batching { }\n");
        return text.ToString();
    }

    private static void Tensors(StringBuilder text, string kind, IReadOnlyDictionary<string, NodeMetadata> tensors, string modelPath)
    {
        text.Append(CultureInfo.InvariantCulture, $"{kind} [\n");
        var i = 0;
        foreach (var (tensorName, metadata) in tensors)
        {
            if (metadata.Dimensions.Length == 0 || metadata.Dimensions[0] != -1)
            {
                throw new ModelFileException(modelPath, $"its {kind} '{tensorName}' has no leading batch dimension ([{string.Join(", ", metadata.Dimensions)}]).");
            }

            var dims = metadata.Dimensions[1..];
            text.Append("  {\n");
            text.Append(CultureInfo.InvariantCulture, $"    name: \"{tensorName}\"\n");
            text.Append(CultureInfo.InvariantCulture, $"    data_type: {DataType(metadata.ElementDataType, tensorName, modelPath)}\n");

            // Triton needs at least one dim; a per-image scalar is [1], reshaped to the graph's [] per image.
            text.Append(CultureInfo.InvariantCulture, $"    dims: [ {(dims.Length == 0 ? "1" : string.Join(", ", dims))} ]\n");
            if (dims.Length == 0)
            {
                text.Append("    reshape: { shape: [ ] }\n");
            }

            text.Append(++i < tensors.Count ? "  },\n" : "  }\n");
        }

        text.Append("]\n");
    }

    private static string DataType(TensorElementType type, string tensorName, string modelPath) => type switch
    {
        TensorElementType.UInt8 => "TYPE_UINT8",
        TensorElementType.Float => "TYPE_FP32",
        TensorElementType.Bool => "TYPE_BOOL",
        _ => throw new ModelFileException(modelPath, $"its tensor '{tensorName}' has element type {type}, which an exported detector does not use."),
    };
}

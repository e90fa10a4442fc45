using Anomaly.ED.Formats.Onnx;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>
/// An ONNX model read with Google.Protobuf's generated messages (<c>Onnx/Onnx.g.cs</c>, from ONNX's <c>onnx.proto</c>):
/// its graph's nodes and float initializers. Nothing in the graph is evaluated.
/// </summary>
internal sealed class OnnxModelFile
{
    /// <summary>The most dimensions an initializer may have.</summary>
    public const int MaxRank = 16;

    private readonly Dictionary<string, TensorProto> initializers;

    private OnnxModelFile(string filePath, ModelProto model)
    {
        FilePath = filePath;
        Model = model;
        initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var initializer in model.Graph.Initializer)
        {
            if (!initializers.TryAdd(initializer.Name, initializer))
            {
                throw new CheckpointFormatException(filePath, $"the initializer '{initializer.Name}' appears twice.");
            }
        }
    }

    /// <summary>The absolute path of the file.</summary>
    public string FilePath { get; }

    /// <summary>The parsed model.</summary>
    public ModelProto Model { get; }

    /// <summary>The graph's nodes, in the file's (topological) order.</summary>
    public IReadOnlyList<NodeProto> Nodes => Model.Graph.Node;

    /// <summary>The initializer names, in file order.</summary>
    public IEnumerable<string> InitializerNames => Model.Graph.Initializer.Select(i => i.Name);

    /// <summary>Reads and parses an ONNX file.</summary>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a valid ONNX model or has no graph.</exception>
    public static OnnxModelFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"ONNX file '{fullPath}' does not exist.", fullPath);
        }

        ModelProto model;
        try
        {
            using var stream = File.OpenRead(fullPath);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CheckpointFormatException(fullPath, $"it is not a valid ONNX model ({e.Message}).", e);
        }

        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            throw new CheckpointFormatException(fullPath, "it is not an ONNX model with a graph.");
        }

        return new OnnxModelFile(fullPath, model);
    }

    /// <summary>Whether <paramref name="name"/> is an initializer.</summary>
    public bool IsInitializer(string name) => initializers.ContainsKey(name);

    /// <summary>The dimensions of an initializer.</summary>
    /// <exception cref="CheckpointFormatException">No initializer has that name.</exception>
    public long[] Shape(string name) => [.. Get(name).Dims];

    /// <summary>Reads a float32 initializer (stored as <c>float_data</c> or little-endian <c>raw_data</c>) into a new CPU tensor.</summary>
    /// <exception cref="CheckpointFormatException">No initializer has that name, it is not float32, its data lie in an external file, or its length does not fit its shape.</exception>
    public Tensor ReadFloatTensor(string name)
    {
        var proto = Get(name);
        if (proto.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new CheckpointFormatException(FilePath, $"initializer '{name}' has ONNX data type {proto.DataType}, not FLOAT (1).");
        }

        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new CheckpointFormatException(FilePath, $"initializer '{name}' keeps its data in an external file, which is not supported.");
        }

        // The element count is compared with the data held before anything is allocated, and may not overflow.
        var count = ElementCount(proto.Dims);
        if (count < 0)
        {
            throw new CheckpointFormatException(FilePath, $"initializer '{name}' has the shape [{string.Join(", ", proto.Dims)}]; at most {MaxRank} non-negative dimensions of fewer than 2^31 elements in all are supported.");
        }

        float[] values;
        if (proto.RawData.Length > 0)
        {
            if (proto.RawData.Length != count * sizeof(float))
            {
                throw new CheckpointFormatException(FilePath, $"initializer '{name}' holds {proto.RawData.Length} bytes; its shape [{string.Join(", ", proto.Dims)}] needs {count * sizeof(float)}.");
            }

            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("Reading ONNX raw data needs a little-endian machine.");
            }

            values = new float[count];
            proto.RawData.Span.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            if (proto.FloatData.Count != count)
            {
                throw new CheckpointFormatException(FilePath, $"initializer '{name}' holds {proto.FloatData.Count} values; its shape [{string.Join(", ", proto.Dims)}] needs {count}.");
            }

            values = [.. proto.FloatData];
        }

        return tensor(values, [.. proto.Dims], ScalarType.Float32);
    }

    // The product of the dimensions, or -1 when there are too many, one is negative, or the product reaches 2^31.
    private static long ElementCount(IReadOnlyCollection<long> dims)
    {
        if (dims.Count > MaxRank)
        {
            return -1;
        }

        var count = 1L;
        foreach (var dimension in dims)
        {
            if (dimension < 0 || dimension > int.MaxValue || (dimension > 0 && count > int.MaxValue / dimension))
            {
                return -1;
            }

            count *= dimension;
        }

        return count;
    }

    private TensorProto Get(string name) =>
        initializers.TryGetValue(name, out var proto)
            ? proto
            : throw new CheckpointFormatException(FilePath, $"it has no initializer named '{name}'.");
}

using System.Globalization;
using Anomaly.ED.Formats.Onnx;
using Google.Protobuf;
using static TorchSharp.torch;
using DataType = Anomaly.ED.Formats.Onnx.TensorProto.Types.DataType;

namespace Anomaly.ED.Export;

/// <summary>
/// Builds an ONNX graph (default domain, opset <see cref="Opset"/>) over the generated protobuf messages: inputs and
/// outputs with symbolic dimensions, nodes with unique output names, and initializers copied from TorchSharp tensors.
/// </summary>
/// <remarks>Nodes must be added in topological order (each input already produced), which ONNX requires of a graph.</remarks>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The operator set the graph uses: ONNX Runtime and older serving stacks all run it.</summary>
    public const int Opset = 17;

    /// <summary>IR version 8 is the one that goes with opset 17.</summary>
    public const long IrVersion = 8;

    private readonly GraphProto graph;
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private readonly Stack<string> scopes = new();
    private int counter;

    public OnnxGraphBuilder(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        graph = new GraphProto { Name = name };
    }

    /// <summary>Prefixes the names of values made until the returned scope is disposed, e.g. <c>level0/</c>.</summary>
    public IDisposable Scope(string prefix)
    {
        scopes.Push(CurrentPrefix + prefix + "/");
        return new PopScope(scopes);
    }

    /// <summary>Declares a graph input; a string dimension is symbolic (e.g. <c>"batch"</c>), a number is fixed.</summary>
    public string Input(string name, DataType type, params OnnxDimension[] shape)
    {
        Claim(name);
        graph.Input.Add(ValueInfo(name, type, shape));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> a graph output under <paramref name="name"/>.</summary>
    public void Output(string value, string name, DataType type, params OnnxDimension[] shape)
    {
        if (!string.Equals(value, name, StringComparison.Ordinal))
        {
            Claim(name);
            graph.Node.Add(NewNode("Identity", [value], [name], []));
        }

        graph.Output.Add(ValueInfo(name, type, shape));
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, params AttributeProto[] attributes) => Node(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with several outputs and returns their names. An empty input name marks an omitted optional input.</summary>
    public string[] Node(string opType, IReadOnlyList<string> inputs, int outputCount, params AttributeProto[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputCount);
        var outputs = new string[outputCount];
        for (var i = 0; i < outputCount; i++)
        {
            outputs[i] = Unique(opType);
        }

        graph.Node.Add(NewNode(opType, inputs, outputs, attributes));
        return outputs;
    }

    /// <summary>Adds an initializer holding a copy of <paramref name="value"/> (float32, float16, float64, uint8, int8, int32, int64 or bool),
    /// under a name unique in the graph derived from <paramref name="name"/>.</summary>
    public string Initializer(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var type = value.dtype switch
        {
            ScalarType.Float32 => DataType.Float,
            ScalarType.Float16 => DataType.Float16,
            ScalarType.Byte => DataType.Uint8,
            ScalarType.Int8 => DataType.Int8,
            ScalarType.Int32 => DataType.Int32,
            ScalarType.Int64 => DataType.Int64,
            ScalarType.Bool => DataType.Bool,
            ScalarType.Float64 => DataType.Double,
            _ => throw new NotSupportedException($"An ONNX initializer of type {value.dtype} is not supported (initializer '{name}')."),
        };
        using var scope = NewDisposeScope();
        var cpu = value.detach().cpu().contiguous();
        var proto = new TensorProto { Name = Unique(name), DataType = (int)type };
        proto.Dims.AddRange(cpu.shape);

        // Raw data is little-endian, as TorchSharp's memory is on every platform .NET runs on.
        proto.RawData = ByteString.CopyFrom(cpu.bytes);
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A float32 constant of the given shape.</summary>
    public string Constant(string name, float[] values, params long[] shape)
    {
        using var scope = NewDisposeScope();
        return Initializer(name, tensor(values, shape));
    }

    /// <summary>A float32 scalar (rank 0), which broadcasts against any tensor.</summary>
    public string Scalar(float value) => Constant("scalar", [value]);

    /// <summary>A float64 scalar (rank 0), for arithmetic that the library does in double precision.</summary>
    public string DoubleScalar(double value)
    {
        using var scope = NewDisposeScope();
        return Initializer("scalar", tensor(value, ScalarType.Float64));
    }

    /// <summary>A one-dimensional int64 constant: shapes, axes, indices, sizes.</summary>
    public string Int64s(params long[] values)
    {
        using var scope = NewDisposeScope();
        return Initializer("ints", tensor(values, [values.Length]));
    }

    /// <summary>The model: this graph, the opset import, the producer and the metadata properties.</summary>
    public ModelProto ToModel(IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Anomaly.ED",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "unknown",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        foreach (var (key, value) in metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private string CurrentPrefix => scopes.Count == 0 ? string.Empty : scopes.Peek();

    // Scoped, then numbered when taken: names must be unique across inputs, node outputs and initializers.
    private string Unique(string stem)
    {
        var name = CurrentPrefix + stem;
        while (!names.Add(name))
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{CurrentPrefix}{stem}_{++counter}");
        }

        return name;
    }

    private void Claim(string name)
    {
        if (!names.Add(name))
        {
            throw new InvalidOperationException($"The ONNX value name '{name}' is already used in this graph.");
        }
    }

    private static NodeProto NewNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, OnnxDimension[] shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var dimension in shape)
        {
            tensorShape.Dim.Add(dimension.Symbol is { } symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = dimension.Size });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } },
        };
    }

    private sealed class PopScope(Stack<string> scopes) : IDisposable
    {
        public void Dispose() => scopes.Pop();
    }
}

/// <summary>One dimension of a graph input or output: a fixed size or a symbol such as <c>"batch"</c>.</summary>
internal readonly record struct OnnxDimension(long Size, string? Symbol)
{
    public static implicit operator OnnxDimension(long size) => new(size, null);

    public static implicit operator OnnxDimension(string symbol) => new(0, symbol);
}

using System.Text.Json;
using System.Text.Unicode;

namespace Anomaly.ED.Formats;

/// <summary>Parses and validates a safetensors JSON header against the size of the data section that follows it.</summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The largest header accepted, as in the reference Rust implementation (guards against huge allocations).</summary>
    internal const ulong MaxHeaderLength = 100_000_000;

    internal const string MetadataKey = "__metadata__";

    private SafetensorsHeader(IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The tensors ordered by data offset (then name).</summary>
    internal IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    internal IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Validates the header bytes; <paramref name="dataLength"/> is the number of bytes after the header.</summary>
    internal static SafetensorsHeader Parse(string filePath, ReadOnlyMemory<byte> json, long dataLength)
    {
        if (!Utf8.IsValid(json.Span))
        {
            throw new SafetensorsFormatException(filePath, "the header is not valid UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(filePath, $"the header is not valid JSON ({ex.Message}).", innerException: ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SafetensorsFormatException(filePath, $"the header must be a JSON object, but it is {Describe(root.ValueKind)}.");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<SafetensorsTensorInfo>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw new SafetensorsFormatException(filePath, "the header names this key more than once.", property.Name);
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadata(filePath, property.Value, metadata);
                }
                else
                {
                    tensors.Add(ReadTensor(filePath, property.Name, property.Value, dataLength));
                }
            }

            tensors.Sort(static (a, b) =>
            {
                var byBegin = a.DataBegin.CompareTo(b.DataBegin);
                return byBegin != 0 ? byBegin : string.CompareOrdinal(a.Name, b.Name);
            });
            CheckNoOverlap(filePath, tensors);
            return new SafetensorsHeader(tensors.AsReadOnly(), metadata.AsReadOnly());
        }
    }

    private static void ReadMetadata(string filePath, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsFormatException(filePath, $"'{MetadataKey}' must be an object of string values, but it is {Describe(value.ValueKind)}.");
        }

        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafetensorsFormatException(filePath, $"'{MetadataKey}' value of key '{entry.Name}' must be a string, but it is {Describe(entry.Value.ValueKind)}.");
            }

            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw new SafetensorsFormatException(filePath, $"'{MetadataKey}' names key '{entry.Name}' more than once.");
            }
        }
    }

    private static SafetensorsTensorInfo ReadTensor(string filePath, string name, JsonElement entry, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsFormatException(filePath, $"the header entry must be an object with dtype, shape and data_offsets, but it is {Describe(entry.ValueKind)}.", name);
        }

        var dtypeElement = Required(filePath, name, entry, "dtype");
        if (dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new SafetensorsFormatException(filePath, $"'dtype' must be a string, but it is {Describe(dtypeElement.ValueKind)}.", name);
        }

        var dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
        {
            throw new SafetensorsFormatException(filePath, $"unknown or unsupported dtype '{dtypeName}' (supported: {SafetensorsDTypes.KnownNames}).", name);
        }

        var shapeElement = Required(filePath, name, entry, "shape");
        if (shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new SafetensorsFormatException(filePath, $"'shape' must be an array of non-negative integers, but it is {Describe(shapeElement.ValueKind)}.", name);
        }

        var shape = new long[shapeElement.GetArrayLength()];
        var index = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var value) || value < 0)
            {
                throw new SafetensorsFormatException(filePath, $"'shape' dimension {index} is {dim.GetRawText()}; dimensions must be non-negative integers.", name);
            }

            shape[index++] = value;
        }

        var offsetsElement = Required(filePath, name, entry, "data_offsets");
        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            throw new SafetensorsFormatException(filePath, $"'data_offsets' must be [begin, end], but it is {offsetsElement.GetRawText()}.", name);
        }

        var begin = ReadOffset(filePath, name, offsetsElement[0], "begin");
        var end = ReadOffset(filePath, name, offsetsElement[1], "end");
        if (begin > end)
        {
            throw new SafetensorsFormatException(filePath, $"'data_offsets' begin {begin} is after end {end}.", name);
        }

        if (end > dataLength)
        {
            throw new SafetensorsFormatException(filePath, $"'data_offsets' [{begin}, {end}] reach beyond the data section, which has {dataLength} bytes (is the file truncated?).", name);
        }

        long expectedBytes;
        try
        {
            expectedBytes = checked(shape.Aggregate(1L, (count, dim) => checked(count * dim)) * dtype.ElementSize());
        }
        catch (OverflowException ex)
        {
            throw new SafetensorsFormatException(filePath, $"shape {SafetensorsDTypes.FormatShape(shape)} has too many elements.", name, ex);
        }

        if (end - begin != expectedBytes)
        {
            throw new SafetensorsFormatException(
                filePath,
                $"'data_offsets' [{begin}, {end}] span {end - begin} bytes, but shape {SafetensorsDTypes.FormatShape(shape)} of {dtype.HeaderName()} needs {expectedBytes}.",
                name);
        }

        return new SafetensorsTensorInfo(name, dtype, Array.AsReadOnly(shape), begin, end);
    }

    private static JsonElement Required(string filePath, string name, JsonElement entry, string field)
    {
        if (!entry.TryGetProperty(field, out var value))
        {
            throw new SafetensorsFormatException(filePath, $"the header entry has no '{field}' field.", name);
        }

        return value;
    }

    private static long ReadOffset(string filePath, string name, JsonElement element, string which)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value) || value < 0)
        {
            throw new SafetensorsFormatException(filePath, $"'data_offsets' {which} is {element.GetRawText()}; offsets must be non-negative integers.", name);
        }

        return value;
    }

    private static void CheckNoOverlap(string filePath, List<SafetensorsTensorInfo> sorted)
    {
        SafetensorsTensorInfo? previous = null;
        foreach (var info in sorted)
        {
            // Empty tensors own no bytes, so they cannot overlap anything.
            if (info.ByteLength == 0)
            {
                continue;
            }

            if (previous is not null && info.DataBegin < previous.DataEnd)
            {
                throw new SafetensorsFormatException(
                    filePath,
                    $"its bytes [{info.DataBegin}, {info.DataEnd}) overlap those of tensor '{previous.Name}' [{previous.DataBegin}, {previous.DataEnd}).",
                    info.Name);
            }

            previous = info;
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "undefined",
    };
}

using System.Text.Encodings.Web;
using System.Text.Json;
using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>Writes tensors to a safetensors file laid out as the Python <c>safetensors</c> package does.</summary>
/// <remarks>
/// The header holds <c>__metadata__</c> first and is padded with spaces to a multiple of 8 bytes; the data is ordered
/// by element size (largest first) and then by name, so every tensor starts at a multiple of its element size.
/// The file is written to a temporary file in the same folder and then moved over <c>path</c>, so readers never see
/// a half-written file.
/// </remarks>
internal static class SafetensorsWriter
{
    /// <summary>Saves tensors (any device, any layout) and optional metadata to a safetensors file, replacing it atomically.</summary>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="tensors">Tensors by name; names must be unique and must not be <c>__metadata__</c>.</param>
    /// <param name="metadata">String entries stored in the header's <c>__metadata__</c>; null or empty writes none.</param>
    /// <exception cref="ArgumentException">A name is empty, duplicated or reserved, or a tensor is null or sparse.</exception>
    /// <exception cref="NotSupportedException">A tensor's dtype has no safetensors equivalent (complex, quantized).</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, tensors, metadata, SafetensorsFile.DefaultChunkBytes);

    /// <summary>Saves with a smaller write size so that tests can exercise the multi-chunk path on small tensors.</summary>
    internal static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata, int chunkBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var fullPath = Path.GetFullPath(path);
        var entries = Plan(fullPath, tensors);
        var header = BuildHeader(fullPath, entries, metadata);

        var directory = Path.GetDirectoryName(fullPath)!;
        var tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (var entry in entries)
                {
                    WriteData(stream, entry.Tensor, chunkBytes);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    private static List<Entry> Plan(string fullPath, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException($"Cannot save '{fullPath}': a tensor has an empty name.", nameof(tensors));
            }

            if (name == SafetensorsHeader.MetadataKey)
            {
                throw new ArgumentException($"Cannot save '{fullPath}': '{SafetensorsHeader.MetadataKey}' is reserved for metadata and cannot name a tensor.", nameof(tensors));
            }

            if (!names.Add(name))
            {
                throw new ArgumentException($"Cannot save '{fullPath}': tensor name '{name}' appears more than once.", nameof(tensors));
            }

            if (tensor is null || tensor.IsInvalid)
            {
                throw new ArgumentException($"Cannot save '{fullPath}': tensor '{name}' is null or disposed.", nameof(tensors));
            }

            if (tensor.is_sparse)
            {
                throw new ArgumentException($"Cannot save '{fullPath}': tensor '{name}' is sparse; convert it with to_dense() first.", nameof(tensors));
            }

            var dtype = SafetensorsDTypes.FromScalarType(tensor.dtype)
                ?? throw new NotSupportedException($"Cannot save '{fullPath}': tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store.");
            entries.Add(new Entry(name, tensor, dtype, tensor.shape));
        }

        entries.Sort(static (a, b) =>
        {
            var bySize = b.DType.ElementSize().CompareTo(a.DType.ElementSize());
            return bySize != 0 ? bySize : string.CompareOrdinal(a.Name, b.Name);
        });
        return entries;
    }

    private static byte[] BuildHeader(string fullPath, List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    if (key is null || value is null)
                    {
                        throw new ArgumentException($"Cannot save '{fullPath}': metadata key '{key}' has a null value.", nameof(metadata));
                    }

                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var entry in entries)
            {
                var bytes = checked(entry.Shape.Aggregate(1L, (count, dim) => count * dim) * entry.DType.ElementSize());
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (var dim in entry.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the data starts 8-byte aligned, as the Python writer does.
        var padding = (int)((8 - (buffer.Length % 8)) % 8);
        for (var i = 0; i < padding; i++)
        {
            buffer.WriteByte((byte)' ');
        }

        if ((ulong)buffer.Length > SafetensorsHeader.MaxHeaderLength)
        {
            throw new InvalidOperationException(
                $"Cannot save '{fullPath}': the header would have {buffer.Length} bytes, more than the {SafetensorsHeader.MaxHeaderLength} that safetensors readers accept (too many tensors or too much metadata).");
        }

        return buffer.ToArray();
    }

    private static void WriteData(FileStream stream, Tensor tensor, int chunkBytes)
    {
        if (tensor.numel() == 0)
        {
            return;
        }

        using var scope = NewDisposeScope();
        var data = tensor.detach().cpu().contiguous();
        var total = data.numel() * data.ElementSize;
        if (total <= chunkBytes)
        {
            stream.Write(data.bytes);
            return;
        }

        var flat = data.view(-1);
        var chunkElements = chunkBytes / data.ElementSize;
        for (long start = 0; start < flat.numel(); start += chunkElements)
        {
            using var part = flat.narrow(0, start, Math.Min(chunkElements, flat.numel() - start));
            stream.Write(part.bytes);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    private sealed record Entry(string Name, Tensor Tensor, SafetensorsDType DType, long[] Shape);
}

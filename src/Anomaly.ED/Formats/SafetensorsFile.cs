using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>
/// An open safetensors file: the header is read and validated when the file is opened, and each tensor's
/// bytes are read on demand straight into the memory of a new tensor or array.
/// </summary>
/// <remarks>
/// Reads are positional (no shared file position), so <see cref="ReadTensor"/>, <see cref="ReadArray{T}"/> and
/// <see cref="ReadAll"/> may be called from several threads at once on one instance. <see cref="Dispose"/> must not
/// run concurrently with a read. The file is opened with <see cref="FileShare.Read"/>: other readers are allowed,
/// writers are not.
/// </remarks>
internal sealed class SafetensorsFile : IDisposable
{
    /// <summary>Bytes read per call: a multiple of every element size, below int.MaxValue (the largest span).</summary>
    internal const int DefaultChunkBytes = 1 << 30;

    private readonly SafeFileHandle _handle;
    private readonly int _chunkBytes;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    private SafetensorsFile(string filePath, SafeFileHandle handle, long dataStart, SafetensorsHeader header, int chunkBytes)
    {
        FilePath = filePath;
        _chunkBytes = chunkBytes;
        _handle = handle;
        _dataStart = dataStart;
        Tensors = header.Tensors;
        Metadata = header.Metadata;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The full path of the file.</summary>
    public string FilePath { get; }

    /// <summary>The string-to-string entries of the header's <c>__metadata__</c> object (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor's header entry, in file order (by data offset, then name).</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Opens a safetensors file and validates its whole header.</summary>
    /// <param name="path">The file to open.</param>
    /// <returns>The open file; dispose it to close the file.</returns>
    /// <exception cref="SafetensorsFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafetensorsFile Open(string path) => Open(path, DefaultChunkBytes);

    /// <summary>Opens with a smaller read size so that tests can exercise the multi-chunk path on small tensors.</summary>
    internal static SafetensorsFile Open(string path, int chunkBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (chunkBytes <= 0 || chunkBytes % 8 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkBytes), chunkBytes, "The read size must be a positive multiple of 8.");
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Safetensors files are little-endian; reading them on a big-endian machine is not supported.");
        }

        var fullPath = Path.GetFullPath(path);
        var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var fileLength = RandomAccess.GetLength(handle);
            if (fileLength < 8)
            {
                throw new SafetensorsFormatException(fullPath, $"the file has {fileLength} bytes, fewer than the 8-byte header length.");
            }

            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(handle, prefix, 0, fullPath);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength == 0)
            {
                throw new SafetensorsFormatException(fullPath, "the header length is 0.");
            }

            if (headerLength > SafetensorsHeader.MaxHeaderLength)
            {
                throw new SafetensorsFormatException(fullPath, $"the header length {headerLength} exceeds the limit of {SafetensorsHeader.MaxHeaderLength} bytes.");
            }

            if ((long)headerLength > fileLength - 8)
            {
                throw new SafetensorsFormatException(fullPath, $"the header length {headerLength} reaches beyond the end of the file ({fileLength} bytes).");
            }

            var json = new byte[(int)headerLength];
            ReadExactly(handle, json, 8, fullPath);
            var dataStart = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(fullPath, json, fileLength - dataStart);
            return new SafetensorsFile(fullPath, handle, dataStart, header, chunkBytes);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor of this name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>True when the header has an entry of that name.</returns>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of one tensor.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>Its dtype, shape and byte range.</returns>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    public SafetensorsTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_byName.TryGetValue(name, out var info))
        {
            return info;
        }

        throw new KeyNotFoundException($"Tensor '{name}' is not in safetensors file '{FilePath}' ({Tensors.Count} tensors; see SafetensorsFile.Tensors for their names).");
    }

    /// <summary>Reads one tensor into a new TorchSharp tensor of the same dtype and shape.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="device">Where the tensor should live; null or CPU reads straight into CPU memory.</param>
    /// <returns>A new tensor owned by the caller (registered in the caller's dispose scope, if any).</returns>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    /// <exception cref="NotSupportedException">The dtype is U16, U32 or U64, which TorchSharp lacks; use <see cref="ReadArray{T}"/>.</exception>
    public Tensor ReadTensor(string name, Device? device = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var info = GetInfo(name);
        var scalarType = info.DType.ToScalarType()
            ?? throw new NotSupportedException(
                $"Tensor '{name}' in '{FilePath}' has dtype {info.DType.HeaderName()}, which TorchSharp has no tensor type for; read it with ReadArray<{UnsignedClrName(info.DType)}>().");

        using var scope = NewDisposeScope();
        var tensor = empty(info.Shape.ToArray(), scalarType, CPU);
        Fill(tensor, info);
        if (device is not null && device.type != DeviceType.CPU)
        {
            tensor = tensor.to(device);
        }

        return tensor.MoveToOuterDisposeScope();
    }

    /// <summary>Reads one tensor's elements, row-major, into a new array whose element size matches the dtype's.</summary>
    /// <typeparam name="T">An unmanaged type of the dtype's element size, e.g. <see cref="ulong"/> for U64 or <see cref="float"/> for F32.</typeparam>
    /// <param name="name">The tensor name.</param>
    /// <returns>The raw little-endian elements reinterpreted as <typeparamref name="T"/>.</returns>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    /// <exception cref="InvalidOperationException">The size of <typeparamref name="T"/> differs from the dtype's element size, or the tensor is too large for one array.</exception>
    public T[] ReadArray<T>(string name)
        where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var info = GetInfo(name);
        var elementSize = info.DType.ElementSize();
        if (Unsafe.SizeOf<T>() != elementSize)
        {
            throw new InvalidOperationException(
                $"Tensor '{name}' in '{FilePath}' has dtype {info.DType.HeaderName()} ({elementSize} bytes per element); ReadArray<{typeof(T).Name}>() needs a {elementSize}-byte element type.");
        }

        if (info.ElementCount > Array.MaxLength)
        {
            throw new InvalidOperationException($"Tensor '{name}' in '{FilePath}' has {info.ElementCount} elements, more than one array can hold; use ReadTensor.");
        }

        var result = new T[info.ElementCount];
        var bytes = MemoryMarshal.AsBytes(result.AsSpan());
        for (long done = 0; done < bytes.Length; done += _chunkBytes)
        {
            var count = (int)Math.Min(_chunkBytes, bytes.Length - done);
            ReadExactly(_handle, bytes.Slice((int)done, count), _dataStart + info.DataBegin + done, FilePath);
        }

        return result;
    }

    /// <summary>Reads every tensor, or those whose names start with <paramref name="prefix"/>, into new tensors.</summary>
    /// <param name="prefix">Only names starting with this exact string (ordinal) are read, and it is removed from the returned keys; null reads all.</param>
    /// <param name="device">Where the tensors should live; null means CPU.</param>
    /// <returns>The tensors by (shortened) name, in file order; the caller owns them.</returns>
    /// <exception cref="NotSupportedException">A selected tensor is U16, U32 or U64.</exception>
    public Dictionary<string, Tensor> ReadAll(string? prefix = null, Device? device = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in Tensors)
            {
                if (prefix is null || info.Name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    var key = prefix is null ? info.Name : info.Name[prefix.Length..];
                    result.Add(key, ReadTensor(info.Name, device));
                }
            }
        }
        catch
        {
            foreach (var tensor in result.Values)
            {
                tensor.Dispose();
            }

            throw;
        }

        return result;
    }

    /// <summary>Closes the file. Tensors and arrays already read stay valid.</summary>
    public void Dispose() => _handle.Dispose();

    private void Fill(Tensor tensor, SafetensorsTensorInfo info)
    {
        var total = info.ByteLength;
        var offset = _dataStart + info.DataBegin;
        if (total == 0)
        {
            return;
        }

        if (total <= _chunkBytes)
        {
            FillChunk(tensor, info, offset, 0);
        }
        else
        {
            // Tensor.bytes is a Span, so a larger tensor is filled through chunk-sized views of its flattened storage.
            FillInChunks(tensor, info, offset);
        }
    }

    private void FillChunk(Tensor destination, SafetensorsTensorInfo info, long fileOffset, long firstIndex)
    {
        var bytes = destination.bytes;
        ReadExactly(_handle, bytes, fileOffset, FilePath);
        if (info.DType == SafetensorsDType.Bool)
        {
            CheckBooleans(bytes, firstIndex, info);
        }
    }

    private void FillInChunks(Tensor tensor, SafetensorsTensorInfo info, long offset)
    {
        using var scope = NewDisposeScope();
        var flat = tensor.view(-1);
        var elementSize = info.DType.ElementSize();
        var chunkElements = _chunkBytes / elementSize;
        for (long start = 0; start < info.ElementCount; start += chunkElements)
        {
            var count = Math.Min(chunkElements, info.ElementCount - start);
            using var part = flat.narrow(0, start, count);
            FillChunk(part, info, offset + (start * elementSize), start);
        }
    }

    private void CheckBooleans(ReadOnlySpan<byte> data, long firstIndex, SafetensorsTensorInfo info)
    {
        // Bytes other than 0 and 1 are undefined behaviour for torch.bool, so they are a format error here.
        var bad = data.IndexOfAnyExceptInRange((byte)0, (byte)1);
        if (bad >= 0)
        {
            throw new SafetensorsFormatException(FilePath, $"BOOL element {firstIndex + bad} (flat index) is {data[bad]}; booleans must be 0 or 1.", info.Name);
        }
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long fileOffset, string filePath)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(handle, destination, fileOffset);
            if (read == 0)
            {
                throw new SafetensorsFormatException(filePath, $"the file ended at byte {fileOffset} while reading data (was it truncated after it was opened?).");
            }

            destination = destination[read..];
            fileOffset += read;
        }
    }

    private static string UnsignedClrName(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.U16 => "ushort",
        SafetensorsDType.U32 => "uint",
        _ => "ulong",
    };
}

using System.Collections;
using System.IO.Compression;
using System.Numerics;
using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>
/// Reads a file written by <c>torch.save</c>: the zip format of PyTorch 1.6 and later, and the older "legacy" format
/// (torchvision's pre-2020 hub files). The pickle is read by Razorvine.Pickle, which never imports or runs Python code;
/// on top of that, only tensors and containers are accepted: any other Python object (for example <c>os.system</c>
/// with a REDUCE, or any class instance) makes <see cref="Open"/> fail with a <see cref="CheckpointFormatException"/>
/// naming it. Tensor bytes are read only when a tensor is read.
/// </summary>
/// <remarks>Not thread-safe: read tensors from one thread at a time.</remarks>
internal sealed class PyTorchCheckpointFile : IDisposable
{
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture);
    private const int LegacyProtocol = 1001;
    private const long MaxDeflateRatio = 1032;

    private readonly FileStream stream;
    private readonly ZipArchive? archive;
    private readonly string archivePrefix = string.Empty;
    private readonly Dictionary<string, long> legacyStorageOffsets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PyTorchStorageRef> storages = new(StringComparer.Ordinal);

    private PyTorchCheckpointFile(string filePath, FileStream stream, ZipArchive? archive)
    {
        FilePath = filePath;
        this.stream = stream;
        this.archive = archive;
        if (archive is not null)
        {
            var pickles = archive.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
            if (pickles.Count != 1)
            {
                throw new CheckpointFormatException(filePath, $"the zip archive holds {pickles.Count} 'data.pkl' entries; a torch.save file holds one.");
            }

            archivePrefix = pickles[0].FullName[..^"data.pkl".Length];
            using var pickle = pickles[0].Open();
            Root = Unpickle(pickle, legacy: false);
        }
        else
        {
            Root = ReadLegacy();
        }

        SafePickle.CheckTree(Root, FilePath, "the checkpoint");
    }

    /// <summary>The absolute path of the file.</summary>
    public string FilePath { get; }

    /// <summary>
    /// The unpickled object: <see cref="Hashtable"/> (dict, OrderedDict), <see cref="ArrayList"/> (list),
    /// <c>object[]</c> (tuple), string, bool, int, long, <see cref="BigInteger"/>, double, <c>byte[]</c>, null, or
    /// <see cref="PyTorchTensorRef"/> (a tensor, not yet read).
    /// </summary>
    public object? Root { get; }

    /// <summary>Opens and unpickles a <c>torch.save</c> file; no tensor data is read yet.</summary>
    /// <param name="path">A <c>.pth</c>, <c>.pt</c> or <c>.bin</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The file is damaged, truncated, not a torch.save file, or holds anything but tensors and containers.</exception>
    public static PyTorchCheckpointFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"PyTorch checkpoint '{fullPath}' does not exist.", fullPath);
        }

        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        ZipArchive? archive = null;
        try
        {
            Span<byte> magic = stackalloc byte[4];
            var read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
            stream.Position = 0;
            if (read == 4 && magic.SequenceEqual("PK\u0003\u0004"u8))
            {
                try
                {
                    archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
                }
                catch (InvalidDataException e)
                {
                    throw new CheckpointFormatException(fullPath, $"it starts like a torch.save zip archive but the archive is damaged or truncated ({e.Message}).", e);
                }
            }
            else if (read == 0 || magic[0] != 0x80)
            {
                throw new CheckpointFormatException(fullPath, "it is neither a torch.save zip archive nor a legacy torch.save file (no pickle protocol marker at the start).");
            }

            return new PyTorchCheckpointFile(fullPath, stream, archive);
        }
        catch (InvalidDataException e)
        {
            archive?.Dispose();
            stream.Dispose();
            throw new CheckpointFormatException(fullPath, $"its zip archive is damaged ({e.Message}).", e);
        }
        catch
        {
            archive?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a tensor (a contiguous CPU copy of its view) into a new tensor the caller owns.</summary>
    /// <exception cref="CheckpointFormatException">Its storage is missing or shorter than recorded.</exception>
    public Tensor ReadTensor(PyTorchTensorRef reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        using var scope = NewDisposeScope();
        var byteCount = reference.Storage.ElementCount * SafetensorsDTypes.FromScalarType(reference.DType)!.Value.ElementSize();
        ZipArchiveEntry? entry = null;
        if (archive is not null)
        {
            entry = archive.GetEntry(archivePrefix + "data/" + reference.Storage.Key)
                ?? throw new CheckpointFormatException(FilePath, $"storage '{reference.Storage.Key}' is missing from the archive.");
            if (entry.Length != byteCount)
            {
                throw new CheckpointFormatException(FilePath, $"storage '{reference.Storage.Key}' holds {entry.Length} bytes; the pickle records {byteCount}.");
            }

            // Checked before the storage is allocated: the data must be in the file (deflate expands at most 1032 times).
            if (entry.CompressedLength > stream.Length || entry.Length > (entry.CompressedLength * MaxDeflateRatio) + 1024)
            {
                throw new CheckpointFormatException(FilePath, $"storage '{reference.Storage.Key}' declares {entry.Length} bytes from {entry.CompressedLength} stored bytes in a file of {stream.Length}.");
            }
        }

        var storage = empty([reference.Storage.ElementCount], reference.DType);
        var bytes = storage.bytes;
        if (entry is not null)
        {
            try
            {
                using var data = entry.Open();
                ReadExactly(data, bytes, reference.Storage.Key);
            }
            catch (InvalidDataException e)
            {
                throw new CheckpointFormatException(FilePath, $"the data of storage '{reference.Storage.Key}' is damaged ({e.Message}).", e);
            }
        }
        else
        {
            stream.Position = legacyStorageOffsets[reference.Storage.Key];
            ReadExactly(stream, bytes, reference.Storage.Key);
        }

        return storage.as_strided(reference.Shape, reference.Stride, reference.Offset).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        archive?.Dispose();
        stream.Dispose();
    }

    private object? ReadLegacy()
    {
        var magic = Unpickle(stream, legacy: true);
        if (magic is not BigInteger number || number != LegacyMagic)
        {
            throw new CheckpointFormatException(FilePath, "it is not a torch.save file (the legacy format's magic number is missing).");
        }

        var protocol = Unpickle(stream, legacy: true);
        if (protocol is not int version || version != LegacyProtocol)
        {
            throw new CheckpointFormatException(FilePath, $"its legacy torch.save protocol is {protocol}; only {LegacyProtocol} is known.");
        }

        if (Unpickle(stream, legacy: true) is not Hashtable systemInfo || systemInfo["little_endian"] is not true)
        {
            throw new CheckpointFormatException(FilePath, "it was written on a big-endian machine or lacks the legacy format's system information.");
        }

        var root = Unpickle(stream, legacy: true);
        if (Unpickle(stream, legacy: true) is not ArrayList keys || keys.Cast<object>().Any(k => k is not string))
        {
            throw new CheckpointFormatException(FilePath, "the legacy format's list of storage keys is missing.");
        }

        Span<byte> size = stackalloc byte[8];
        foreach (string key in keys)
        {
            var storage = storages.TryGetValue(key, out var known)
                ? known
                : throw new CheckpointFormatException(FilePath, $"storage '{key}' is listed but no tensor uses it.");
            ReadExactly(stream, size, key);
            var count = BitConverter.ToInt64(size);
            if (count != storage.ElementCount)
            {
                throw new CheckpointFormatException(FilePath, $"storage '{key}' holds {count} elements; the pickle records {storage.ElementCount}.");
            }

            legacyStorageOffsets[key] = stream.Position;
            var next = stream.Position + (count * SafetensorsDTypes.FromScalarType(storage.DType)!.Value.ElementSize());
            if (next > stream.Length)
            {
                throw new CheckpointFormatException(FilePath, $"the file ends inside storage '{key}' (it was truncated).");
            }

            stream.Position = next;
        }

        var unlisted = storages.Keys.Where(k => !legacyStorageOffsets.ContainsKey(k)).ToList();
        if (unlisted.Count > 0)
        {
            throw new CheckpointFormatException(FilePath, $"storage(s) {string.Join(", ", unlisted)} are used but not stored.");
        }

        return root;
    }

    private object? Unpickle(Stream source, bool legacy) => SafePickle.Load(source, FilePath, pid => PersistentLoad(pid, legacy));

    // torch.save's persistent ids: zip ('storage', storage_type, key, location, numel); legacy (..., size, view_metadata).
    private PyTorchStorageRef PersistentLoad(object pid, bool legacy)
    {
        if (pid is not object[] id || id.Length < 5 || id[0] is not "storage" || id[1] is not PickleGlobals.StorageType type || id[2] is not string key)
        {
            throw new Razorvine.Pickle.PickleException($"unexpected persistent id {Describe(pid)}; torch.save writes ('storage', <storage type>, <key>, <location>, <size>)");
        }

        if (legacy && id.Length > 5 && id[5] is not null)
        {
            throw new Razorvine.Pickle.PickleException($"storage '{key}' is a view of another storage (legacy format), which is not supported");
        }

        var elementSize = SafetensorsDTypes.FromScalarType(type.DType)!.Value.ElementSize();
        var count = Convert.ToInt64(id[4], System.Globalization.CultureInfo.InvariantCulture);
        if (count < 0 || count * elementSize > int.MaxValue)
        {
            throw new Razorvine.Pickle.PickleException($"storage '{key}' has {count} elements; storages of 0 to 2 GiB are supported");
        }

        var storage = new PyTorchStorageRef(key, type.DType, count);
        if (storages.TryGetValue(key, out var known) && known != storage)
        {
            throw new Razorvine.Pickle.PickleException($"storage '{key}' is described twice, differently");
        }

        storages[key] = storage;
        return storage;
    }

    private static string Describe(object? value, int depth = 0) => value switch
    {
        object[] when depth > 3 => "(...)",
        object[] tuple => $"({string.Join(", ", tuple.Take(8).Select(v => Describe(v, depth + 1)))}{(tuple.Length > 8 ? ", ..." : string.Empty)})",
        _ => value?.ToString() is { } text ? (text.Length > 80 ? text[..80] + "…" : text) : "None",
    };

    private void ReadExactly(Stream source, Span<byte> destination, string storageKey)
    {
        try
        {
            source.ReadExactly(destination);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
        {
            throw new CheckpointFormatException(FilePath, $"the data of storage '{storageKey}' is truncated or damaged ({e.Message}).", e);
        }
    }
}

using System.Collections;
using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>Opens a weights file by its content: safetensors, or a PyTorch <c>torch.save</c> state dict (<c>.pth</c>, <c>.pt</c>, <c>.bin</c>).</summary>
internal static class StateDictSources
{
    /// <summary>Opens <paramref name="path"/> as a state dict.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">A safetensors file is invalid.</exception>
    /// <exception cref="CheckpointFormatException">A PyTorch file is invalid, holds code references, or is not a state dict.</exception>
    public static IStateDictSource Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!IsPyTorchFile(path))
        {
            return new SafetensorsSource(SafetensorsFile.Open(path));
        }

        var file = PyTorchCheckpointFile.Open(path);
        try
        {
            return new PyTorchSource(file, StateDict(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the file starts like a torch.save file (a zip archive, or a pickle protocol marker) and not like a
    /// safetensors file (a little-endian header length below 4 GiB, then '{'), whose first bytes may also be 0x80.
    /// </summary>
    public static bool IsPyTorchFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        Span<byte> start = stackalloc byte[9];
        using var stream = File.OpenRead(path);
        var read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        if (read == 9 && start[8] == (byte)'{' && start[4..8].IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }

        return read >= 4 && (start[..4].SequenceEqual("PK\u0003\u0004"u8) || (start[0] == 0x80 && start[1] is >= 2 and <= 5));
    }

    /// <summary>
    /// The state dict of a checkpoint: the top-level dict of tensors (torchvision, timm), or the dict of tensors under a
    /// top-level <c>"state_dict"</c> or <c>"model"</c> key.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, PyTorchTensorRef>> StateDict(PyTorchCheckpointFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Root is Hashtable root && TryTensors(root, out var tensors))
        {
            return tensors;
        }

        foreach (var key in new[] { "state_dict", "model" })
        {
            if (file.Root is Hashtable wrapper && wrapper[key] is Hashtable inner && TryTensors(inner, out tensors))
            {
                return tensors;
            }
        }

        var shape = file.Root is Hashtable table
            ? $"a dict with keys {string.Join(", ", table.Keys.Cast<object>().Select(k => $"'{k}'").Take(12))}"
            : $"a {file.Root?.GetType().Name ?? "None"}";
        throw new CheckpointFormatException(file.FilePath, $"it holds {shape}, not a state dict (a dict of tensors, possibly under 'state_dict' or 'model').");
    }

    /// <summary>Reads a dict whose keys are strings and values are tensors.</summary>
    public static bool TryTensors(Hashtable table, out IReadOnlyList<KeyValuePair<string, PyTorchTensorRef>> tensors)
    {
        ArgumentNullException.ThrowIfNull(table);
        var result = new List<KeyValuePair<string, PyTorchTensorRef>>();
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string name || entry.Value is not PyTorchTensorRef tensor)
            {
                tensors = [];
                return false;
            }

            result.Add(new(name, tensor));
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        tensors = result;
        return result.Count > 0;
    }

    private sealed class SafetensorsSource(SafetensorsFile file) : IStateDictSource
    {
        public string FilePath => file.FilePath;

        public IReadOnlyList<KeyValuePair<string, long[]>> Shapes { get; } = [.. file.Tensors.Select(t => new KeyValuePair<string, long[]>(t.Name, [.. t.Shape]))];

        public Tensor Read(string name) => file.ReadTensor(name);

        public void Dispose() => file.Dispose();
    }

    private sealed class PyTorchSource(PyTorchCheckpointFile file, IReadOnlyList<KeyValuePair<string, PyTorchTensorRef>> tensors) : IStateDictSource
    {
        private readonly Dictionary<string, PyTorchTensorRef> byName = tensors.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);

        public string FilePath => file.FilePath;

        public IReadOnlyList<KeyValuePair<string, long[]>> Shapes { get; } = [.. tensors.Select(t => new KeyValuePair<string, long[]>(t.Key, t.Value.Shape))];

        public Tensor Read(string name) => file.ReadTensor(byName[name]);

        public void Dispose() => file.Dispose();
    }
}

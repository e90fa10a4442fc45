using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>Loads and saves a module's parameters and persistent buffers by their state-dict names.</summary>
/// <remarks>
/// Loading checks everything before it copies anything, so a failed load leaves the module unchanged.
/// Strict mode requires the names to match exactly; non-strict mode loads the common names and ignores
/// the rest. In both modes a common name with a different shape is an error, as in PyTorch's
/// <c>load_state_dict</c>, because silently skipping it would leave a randomly initialised tensor in place.
/// </remarks>
internal static class ModuleStateDictExtensions
{
    /// <summary>Copies tensors into the module's parameters and buffers of the same names, converting dtype and device.</summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="stateDict">Tensors by state-dict name (e.g. <c>encoder.encode_layers.0.fc1.weight</c>).</param>
    /// <param name="strict">True: missing or unexpected names are errors. False: only common names are loaded.</param>
    /// <exception cref="StateDictMismatchException">Names (strict mode) or shapes do not match; lists every problem.</exception>
    /// <exception cref="ArgumentException">An entry is null or disposed.</exception>
    public static void LoadStateDict(this nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        var shapes = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
        foreach (var (name, value) in stateDict)
        {
            if (value is null || value.IsInvalid)
            {
                throw new ArgumentException($"State-dict entry '{name}' is null or disposed.", nameof(stateDict));
            }

            shapes.Add(name, value.shape);
        }

        Load(module, shapes, name => stateDict[name], ownsSource: false, strict, module.GetType().Name);
    }

    /// <summary>Loads a safetensors file into the module's parameters and buffers, reading one tensor at a time.</summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="path">The safetensors file.</param>
    /// <param name="strict">True: missing or unexpected names are errors. False: only common names are loaded.</param>
    /// <param name="prefix">Only file entries whose names start with this string are considered, with it removed (e.g. <c>"param."</c>); null considers all.</param>
    /// <exception cref="StateDictMismatchException">Names (strict mode) or shapes do not match; lists every problem.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not a valid safetensors file.</exception>
    public static void LoadSafetensors(this nn.Module module, string path, bool strict = true, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var file = SafetensorsFile.Open(path);
        var byKey = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
        foreach (var info in file.Tensors)
        {
            if (prefix is null || info.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                byKey.Add(prefix is null ? info.Name : info.Name[prefix.Length..], info);
            }
        }

        var shapes = byKey.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal);
        var target = $"{module.GetType().Name} from '{file.FilePath}'" + (prefix is null ? string.Empty : $" (prefix '{prefix}')");
        Load(module, shapes, key => file.ReadTensor(byKey[key].Name), ownsSource: true, strict, target);
    }

    /// <summary>Saves the module's parameters and persistent buffers to a safetensors file (atomically).</summary>
    /// <param name="module">The module to save.</param>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="metadata">String entries for the header's <c>__metadata__</c>; null writes none.</param>
    public static void SaveSafetensors(this nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(path, module.state_dict(), metadata);
    }

    private static void Load(
        nn.Module module,
        IReadOnlyDictionary<string, IReadOnlyList<long>> sourceShapes,
        Func<string, Tensor> fetch,
        bool ownsSource,
        bool strict,
        string target)
    {
        // Tensors that state_dict() wraps anew (native submodules) are released with this scope; the module keeps its own.
        using var scope = NewDisposeScope();
        var destination = module.state_dict();
        var missing = new List<string>();
        var mismatched = new List<string>();
        var toLoad = new List<string>();
        foreach (var (name, tensor) in destination)
        {
            if (!sourceShapes.TryGetValue(name, out var shape))
            {
                missing.Add(name);
            }
            else if (!tensor.shape.AsSpan().SequenceEqual(shape.ToArray()))
            {
                mismatched.Add($"{name}: expected {SafetensorsDTypes.FormatShape(tensor.shape)}, got {SafetensorsDTypes.FormatShape(shape)}");
            }
            else
            {
                toLoad.Add(name);
            }
        }

        var unexpected = sourceShapes.Keys.Where(name => !destination.ContainsKey(name)).ToList();
        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            throw strict
                ? new StateDictMismatchException(missing, unexpected, mismatched, target)
                : new StateDictMismatchException([], [], mismatched, target);
        }

        using var noGrad = no_grad();
        foreach (var name in toLoad)
        {
            var value = fetch(name);
            try
            {
                destination[name].copy_(value);
            }
            finally
            {
                if (ownsSource)
                {
                    value.Dispose();
                }
            }
        }
    }
}

using Anomaly.ED.Weights;
using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>
/// Loads torchvision or timm ResNet checkpoints (safetensors, torchvision's parameter names) into a <see cref="ResNet"/>.
/// </summary>
internal static class ResNetWeights
{
    /// <summary>
    /// Loads a safetensors checkpoint strictly, one tensor at a time, checking every name and shape before
    /// copying anything. Three differences from an exact match are accepted, because they are how real
    /// checkpoints differ from a feature extractor: entries of stages the network was built without and
    /// the classifier <c>fc.*</c> (when the network has none) are ignored, and a missing
    /// <c>num_batches_tracked</c> keeps its value (it is unused in eval mode).
    /// </summary>
    /// <param name="network">The network to fill.</param>
    /// <param name="path">The safetensors file (e.g. timm's <c>model.safetensors</c> or a torchvision export).</param>
    /// <param name="prefix">Only entries starting with this prefix are considered, with it removed (e.g. <c>"module."</c>); null considers all.</param>
    /// <exception cref="StateDictMismatchException">Names or shapes differ; every missing, unexpected and mis-shaped key is listed, and the network is unchanged.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static void LoadWeights(this ResNet network, string path, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var file = SafetensorsFile.Open(path);

        var source = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
        foreach (var info in file.Tensors)
        {
            if (prefix is not null && !info.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = prefix is null ? info.Name : info.Name[prefix.Length..];
            if (!IsOutsideNetwork(network, name))
            {
                source.Add(name, info);
            }
        }

        var destination = network.OrderedStateDict();
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach (var (name, tensor) in destination)
        {
            if (!source.TryGetValue(name, out var info))
            {
                if (!name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                {
                    missing.Add(name);
                }
            }
            else if (!tensor.shape.AsSpan().SequenceEqual([.. info.Shape]))
            {
                mismatched.Add($"{name}: expected [{string.Join(", ", tensor.shape)}], got [{string.Join(", ", info.Shape)}]");
            }
        }

        var known = destination.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var unexpected = source.Keys.Where(name => !known.Contains(name)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0)
        {
            throw new StateDictMismatchException(missing, unexpected, mismatched, $"{network.Architecture.Name} from '{file.FilePath}'");
        }

        using var noGrad = no_grad();
        foreach (var (name, tensor) in destination)
        {
            if (source.TryGetValue(name, out var info))
            {
                using var value = file.ReadTensor(info.Name);
                tensor.copy_(value);
            }
        }
    }

    private static bool IsOutsideNetwork(ResNet network, string name)
    {
        if (!network.HasClassifier && name.StartsWith("fc.", StringComparison.Ordinal))
        {
            return true;
        }

        for (var stage = network.StageCount + 1; stage <= 4; stage++)
        {
            if (name.StartsWith($"layer{stage}.", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

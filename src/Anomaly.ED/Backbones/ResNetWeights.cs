using Anomaly.ED.Formats;
using Anomaly.ED.Pretrained;
using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>
/// Loads ResNet checkpoints with torchvision's parameter names into a <see cref="ResNet"/>: safetensors files
/// (torchvision exports, timm), PyTorch <c>torch.save</c> files (<c>.pth</c>, <c>.pt</c>, <c>.bin</c>: torchvision's
/// hub files, in the zip or the legacy format) and ML.NET's ImageNet ResNet18 (<c>ResNet18.onnx</c> of the package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, imported with its preprocessing folded in).
/// </summary>
internal static class ResNetWeights
{
    /// <summary>
    /// Loads a checkpoint strictly, one tensor at a time, checking every name and shape before copying anything.
    /// The format is recognised from the content (safetensors, or a torch.save zip/legacy file) and, for ONNX, from
    /// the <c>.onnx</c> extension. Three differences from an exact match are accepted, because they are how real
    /// checkpoints differ from a feature extractor: entries of stages the network was built without and
    /// the classifier <c>fc.*</c> (when the network has none) are ignored, and a missing
    /// <c>num_batches_tracked</c> keeps its value (it is unused in eval mode).
    /// </summary>
    /// <param name="network">The network to fill.</param>
    /// <param name="path">The weights file (e.g. timm's <c>model.safetensors</c>, torchvision's <c>resnet18-f37072fd.pth</c>, ML.NET's <c>ResNet18.onnx</c>).</param>
    /// <param name="prefix">Only entries starting with this prefix are considered, with it removed (e.g. <c>"module."</c>); null considers all.</param>
    /// <exception cref="StateDictMismatchException">Names or shapes differ; every missing, unexpected and mis-shaped key is listed, and the network is unchanged.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="CheckpointFormatException">A PyTorch or ONNX file is damaged, refers to Python code, or is not a ResNet state dict; or ML.NET's ResNet18 is loaded into a network with layer4.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static void LoadWeights(this ResNet network, string path, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var file = Open(network, path);

        var source = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var fileNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (fileName, shape) in file.Shapes)
        {
            if (prefix is not null && !fileName.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = prefix is null ? fileName : fileName[prefix.Length..];
            if (!IsOutsideNetwork(network, name))
            {
                source.Add(name, shape);
                fileNames.Add(name, fileName);
            }
        }

        var destination = network.OrderedStateDict();
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach (var (name, tensor) in destination)
        {
            if (!source.TryGetValue(name, out var shape))
            {
                if (!name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                {
                    missing.Add(name);
                }
            }
            else if (!tensor.shape.AsSpan().SequenceEqual(shape))
            {
                mismatched.Add($"{name}: expected [{string.Join(", ", tensor.shape)}], got [{string.Join(", ", shape)}]");
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
            if (fileNames.TryGetValue(name, out var fileName))
            {
                using var value = file.Read(fileName);
                tensor.copy_(value);
            }
        }
    }

    private static IStateDictSource Open(ResNet network, string path)
    {
        if (!string.Equals(Path.GetExtension(path), ".onnx", StringComparison.OrdinalIgnoreCase))
        {
            return StateDictSources.Open(path);
        }

        var fullPath = Path.GetFullPath(path);
        if (network.Architecture.Name != "resnet18" || network.StageCount > MlNetResNet18Onnx.UsableStages)
        {
            throw new CheckpointFormatException(
                fullPath,
                $"ONNX weights are read from ML.NET's ImageNet ResNet18 ({MlNetResNet18Package.PackageId}) only, for a resnet18 built up to layer{MlNetResNet18Onnx.UsableStages}; "
                + $"this network is {network.Architecture.Name} with {network.StageCount} stages. The package's layer4 has three blocks where torchvision's resnet18 has two, so layer4 cannot come from it: request stages up to layer3.");
        }

        return new InMemoryStateDictSource(fullPath, MlNetResNet18Onnx.Import(fullPath));
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

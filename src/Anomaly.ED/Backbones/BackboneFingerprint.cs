using System.Security.Cryptography;
using Anomaly.ED.Runtime;

namespace Anomaly.ED.Backbones;

/// <summary>A content hash of a backbone's weights, so a model file can prove it is used with the weights it was trained on.</summary>
internal static class BackboneFingerprint
{
    /// <summary>SHA-256 (lower-case hex) over the names, shapes, dtypes and float data of the network's state dict in order; BatchNorm step counters are left out.</summary>
    /// <remarks>Independent of the file the weights came from: the same weights from a torchvision or a timm file give the same fingerprint.</remarks>
    public static string Compute(IFeatureExtractor extractor) => Compute(extractor.NamedWeights());

    /// <summary>The fingerprint of named weights in the given order.</summary>
    public static string Compute(ResNet network) => Compute(network.OrderedStateDict());

    private static string Compute(IReadOnlyList<KeyValuePair<string, TorchSharp.torch.Tensor>> weights)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in weights)
        {
            if (name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
            {
                continue;
            }

            TensorCopies.AppendTo(hash, name, tensor);
        }

        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}

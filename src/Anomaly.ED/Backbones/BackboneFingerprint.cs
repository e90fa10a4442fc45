using System.Security.Cryptography;
using Anomaly.ED.Runtime;

namespace Anomaly.ED.Backbones;

/// <summary>A content hash of a backbone's weights, so a model file can prove it is used with the weights it was trained on.</summary>
public static class BackboneFingerprint
{
    /// <summary>SHA-256 (lower-case hex) over the names, shapes, dtypes and float data of the network's state dict in order; BatchNorm step counters are left out.</summary>
    /// <remarks>Independent of the file the weights came from: the same weights from a torchvision or a timm file give the same fingerprint.</remarks>
    public static string Compute(ResNet network)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in network.OrderedStateDict())
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

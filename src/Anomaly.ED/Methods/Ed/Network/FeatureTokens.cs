using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>Turns a backbone feature map into the tokens a level network reads, as the reference trainer does.</summary>
internal static class FeatureTokens
{
    /// <summary>AvgPool2d(3, 1, 1) of a feature map (B, C, H, W), permuted and flattened to tokens (B, L = H*W, C); token i sits at row i / W, column i % W.</summary>
    /// <param name="featureMap">Backbone features of a batch.</param>
    /// <returns>A new tensor (B, L, C) in the caller's dispose scope.</returns>
    public static Tensor FromFeatureMap(Tensor featureMap)
    {
        ArgumentNullException.ThrowIfNull(featureMap);
        if (featureMap.ndim != 4)
        {
            throw new ArgumentException($"A feature map must be (B, C, H, W), got [{string.Join(", ", featureMap.shape)}].", nameof(featureMap));
        }

        using var scope = NewDisposeScope();
        var pooled = ReferenceFeatures.Pool(featureMap);
        var (b, c) = (pooled.shape[0], pooled.shape[1]);
        return pooled.permute(0, 2, 3, 1).reshape(b, -1, c).MoveToOuterDisposeScope();
    }
}

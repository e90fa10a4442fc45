using Anomaly.ED.Backbones;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>
/// The pooled backbone tokens of every training image, kept on the compute device so that epochs after the first skip
/// decoding and the backbone (the backbone is frozen and the transforms are deterministic, so the tokens never change).
/// </summary>
internal sealed class TokenCache : IDisposable
{
    private readonly Tensor[] levels;

    private TokenCache(Tensor[] levels) => this.levels = levels;

    /// <summary>Allocates the cache when it fits within <paramref name="limitMegabytes"/>; returns null otherwise.</summary>
    public static TokenCache? TryCreate(int images, IReadOnlyList<FeatureStage> stages, int height, int width, int limitMegabytes, Device device)
    {
        var shapes = stages.Select(s => (Tokens: (long)s.OutputSize(height) * s.OutputSize(width), s.Channels)).ToArray();
        var bytes = shapes.Sum(s => s.Tokens * s.Channels * sizeof(float)) * images;
        if (images == 0 || bytes > limitMegabytes * 1024L * 1024L)
        {
            return null;
        }

        return new TokenCache(shapes.Select(s => empty(images, s.Tokens, s.Channels, ScalarType.Float32, device)).ToArray());
    }

    /// <summary>Stores the tokens (B, L, C) of images <paramref name="offset"/> .. offset + B - 1 for one level.</summary>
    public void Store(int level, int offset, Tensor tokens)
    {
        using var target = levels[level].narrow(0, offset, tokens.shape[0]);
        target.copy_(tokens);
    }

    /// <summary>The tokens of the given images, one (B, L, C) tensor per level, in the caller's dispose scope.</summary>
    public Tensor[] Select(int[] indices)
    {
        using var index = tensor(indices.Select(i => (long)i).ToArray(), device: levels[0].device);
        return levels.Select(level => level.index_select(0, index)).ToArray();
    }

    public void Dispose()
    {
        foreach (var level in levels)
        {
            level.Dispose();
        }
    }
}

using System.Globalization;
using Anomaly.ED.Runtime;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>
/// HETMM's templates: per level, the L2-normalised features of the normal images (or a per-pixel selection of them),
/// held position-major, (H*W, N, C), so that the matching reads each pixel's templates as one contiguous block.
/// </summary>
/// <remarks>Not thread-safe for writes: the detector serialises adding against matching.</remarks>
internal sealed class TemplateStore : IDisposable
{
    private readonly Tensor?[] levels;

    /// <param name="levelNames">The backbone stages, in level order.</param>
    /// <param name="halfPrecision">Whether the templates are stored in float16 (they are matched in float32).</param>
    public TemplateStore(IReadOnlyList<string> levelNames, bool halfPrecision)
    {
        LevelNames = levelNames;
        levels = new Tensor?[levelNames.Count];
        DataType = halfPrecision ? ScalarType.Float16 : ScalarType.Float32;
    }

    public IReadOnlyList<string> LevelNames { get; }

    public ScalarType DataType { get; }

    /// <summary>Templates per pixel position (the same on every level); 0 when empty.</summary>
    public long Count => levels[0]?.shape[1] ?? 0;

    /// <summary>Bytes the templates occupy.</summary>
    public long Bytes => levels.Sum(l => l is null ? 0 : l.numel() * l.element_size());

    /// <summary>The templates of a level, (H*W, N, C); the store owns them.</summary>
    public Tensor Level(int level) => levels[level] ?? throw new InvalidOperationException("The template store is empty.");

    /// <summary>Appends templates: per level, (B, C, H, W) normalised features; the store keeps copies, outside any dispose scope.</summary>
    public void Add(IReadOnlyList<Tensor> features)
    {
        CheckLevels(features.Count);
        var replaced = new Tensor[levels.Length];
        using (var scope = NewDisposeScope())
        {
            for (var i = 0; i < levels.Length; i++)
            {
                var incoming = PositionMajor(features[i].to(DataType));
                var current = levels[i];
                if (current is not null && (current.shape[0] != incoming.shape[0] || current.shape[2] != incoming.shape[2]))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Level {LevelNames[i]}: templates of [{string.Join(", ", features[i].shape)}] do not fit the store's ({current.shape[2]} channels, {current.shape[0]} pixels)."));
                }

                // Both paths copy into a new contiguous tensor, so the store never aliases the caller's tensors and the
                // matching reads each pixel's templates as one block (clone, and cat of a single tensor, would keep the
                // permuted strides, and every product would then gather its matrix with a stride of H*W floats).
                replaced[i] = (current is null
                    ? empty(incoming.shape, incoming.dtype, incoming.device).copy_(incoming)
                    : cat([current, incoming.to(current.device)], 1).contiguous()).DetachFromDisposeScope();
            }
        }

        for (var i = 0; i < levels.Length; i++)
        {
            levels[i]?.Dispose();
            levels[i] = replaced[i];
        }
    }

    /// <summary>Replaces every level with (N, C, H, W) templates (normalised, the same N on every level).</summary>
    public void Replace(IReadOnlyList<Tensor> templates)
    {
        Clear();
        Add(templates);
    }

    /// <summary>Removes every template.</summary>
    public void Clear()
    {
        for (var i = 0; i < levels.Length; i++)
        {
            levels[i]?.Dispose();
            levels[i] = null;
        }
    }

    /// <summary>The templates of a level as (N, C, H, W), a new tensor on the store's device.</summary>
    public Tensor ToImageMajor(int level, long height, long width)
    {
        var templates = Level(level);
        return templates.permute(1, 2, 0).reshape(templates.shape[1], templates.shape[2], height, width);
    }

    /// <summary>Detached CPU copies of every level as (N, C, H, W), named prefix + stage name.</summary>
    public Dictionary<string, Tensor> Save(string prefix, Func<int, (long Height, long Width)> gridOf)
    {
        var state = new Dictionary<string, Tensor>();
        for (var i = 0; i < levels.Length; i++)
        {
            var (height, width) = gridOf(i);
            using var image = ToImageMajor(i, height, width);
            state[prefix + LevelNames[i]] = TensorCopies.DetachedCpuCopy(image);
        }

        return state;
    }

    public void Dispose() => Clear();

    private static Tensor PositionMajor(Tensor features) =>
        features.flatten(2).permute(2, 0, 1);

    private void CheckLevels(int count)
    {
        if (count != levels.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Got templates for {count} levels; the store holds {levels.Length} ({string.Join(", ", LevelNames)})."));
        }
    }
}

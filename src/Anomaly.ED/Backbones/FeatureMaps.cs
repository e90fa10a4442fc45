using System.Collections;
using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>
/// The feature maps one extraction returned, in the extractor's stage order and addressable by stage name.
/// Disposing it disposes the tensors; they also live in the caller's dispose scope, if any.
/// </summary>
internal sealed class FeatureMaps : IReadOnlyList<Tensor>, IDisposable
{
    private readonly Tensor[] maps;

    /// <summary>Pairs stages with their maps; both lists must have the same length and order.</summary>
    /// <param name="stages">The stages, shallow to deep.</param>
    /// <param name="maps">One (B, C, H, W) tensor per stage; this object takes ownership.</param>
    public FeatureMaps(IReadOnlyList<FeatureStage> stages, IReadOnlyList<Tensor> maps)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(maps);
        if (stages.Count != maps.Count)
        {
            throw new ArgumentException($"{stages.Count} stage(s) but {maps.Count} map(s).", nameof(maps));
        }

        Stages = stages;
        this.maps = [.. maps];
    }

    /// <summary>The stages of <see cref="this[int]"/>, shallow to deep.</summary>
    public IReadOnlyList<FeatureStage> Stages { get; }

    /// <summary>The number of maps.</summary>
    public int Count => maps.Length;

    /// <summary>The map at a position, in stage order.</summary>
    /// <param name="index">0 … <see cref="Count"/> - 1.</param>
    public Tensor this[int index] => maps[index];

    /// <summary>The map of a stage, by name (e.g. <c>"layer2"</c>).</summary>
    /// <param name="stage">A stage name present in <see cref="Stages"/>.</param>
    /// <exception cref="KeyNotFoundException">The stage was not extracted; the message lists those that were.</exception>
    public Tensor this[string stage]
    {
        get
        {
            for (var i = 0; i < Stages.Count; i++)
            {
                if (string.Equals(Stages[i].Name, stage, StringComparison.Ordinal))
                {
                    return maps[i];
                }
            }

            throw new KeyNotFoundException($"Stage '{stage}' was not extracted; available: {string.Join(", ", Stages.Select(s => s.Name))}.");
        }
    }

    /// <inheritdoc />
    public IEnumerator<Tensor> GetEnumerator() => ((IEnumerable<Tensor>)maps).GetEnumerator();

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every map.</summary>
    public void Dispose()
    {
        foreach (var map in maps)
        {
            map.Dispose();
        }
    }
}

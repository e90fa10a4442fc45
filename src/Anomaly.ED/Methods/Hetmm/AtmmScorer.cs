using Anomaly.ED.Backbones;
using Anomaly.ED.Scoring;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>
/// HETMM's affine-invariant template mutual matching (ATMM) as a scorer: per level, the query features are L2-normalised
/// and matched against the template store, and the level grid is lambda * (alpha * (1 - forward) + (1 - alpha) * (1 - backward)).
/// </summary>
/// <remarks>
/// The reference upsamples the forward and backward maps before weighting them; bilinear upsampling is linear, so weighting
/// first gives the same map (to float32 rounding, well within the parity tolerance) with one upsampling per level.
/// Thread-safe for concurrent scoring; the store must not change meanwhile (the detector's lock sees to that).
/// </remarks>
internal sealed class AtmmScorer : IAnomalyScorer
{
    private readonly TemplateStore store;
    private readonly IReadOnlyList<HetmmLevelParameters> levels;
    private readonly long tileElements;
    private readonly ScalarType? computeType;

    /// <param name="store">The templates.</param>
    /// <param name="levels">The matching parameters of each level.</param>
    /// <param name="tileElements">Bound on the floats of a tile's temporaries.</param>
    /// <param name="computeType">A reduced type for the matching products (<see cref="TemplateMatcher.BestSimilarities"/>); null for float32.</param>
    public AtmmScorer(TemplateStore store, IReadOnlyList<HetmmLevelParameters> levels, long tileElements, ScalarType? computeType = null)
    {
        if (levels.Count != store.LevelNames.Count)
        {
            throw new ArgumentException($"{levels.Count} levels of matching parameters for {store.LevelNames.Count} template levels.", nameof(levels));
        }

        this.store = store;
        this.levels = levels;
        this.tileElements = tileElements;
        this.computeType = computeType;
    }

    /// <summary>L2 normalisation over channels, as the reference's <c>F.normalize(x, p=2)</c> (norms below 1e-12 are taken as 1e-12).</summary>
    public static Tensor Normalize(Tensor features) => nn.functional.normalize(features, p: 2, dim: 1, eps: 1e-12);

    public IReadOnlyList<Tensor> ScoreLevels(FeatureMaps features)
    {
        var grids = new Tensor[levels.Count];
        for (var i = 0; i < levels.Count; i++)
        {
            using var scope = NewDisposeScope();
            var parameters = levels[i];
            var (forward, backward) = TemplateMatcher.BestSimilarities(Normalize(features[i]), store.Level(i), parameters.ForwardPatch, parameters.BackwardPatch, tileElements, computeType);
            var grid = ((1 - forward) * parameters.Alpha) + ((1 - backward) * (1 - parameters.Alpha));
            grids[i] = (grid * parameters.Lambda).MoveToOuterDisposeScope();
        }

        return grids;
    }
}

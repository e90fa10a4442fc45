using Anomaly.ED.Backbones;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Scoring;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Scoring;

/// <summary>The ED/FOD test-time scorer: per level, the network reconstructs the pooled tokens and each token is scored as the reference's test loop does.</summary>
/// <remarks>Runs the networks in eval mode without gradients; it does not own them.</remarks>
internal sealed class EdAnomalyScorer : IAnomalyScorer
{
    private readonly IReadOnlyList<EdLevelNetwork> networks;
    private readonly AnomalyScoreKind kind;
    private readonly Func<ScalarType, IReadOnlyList<EdLevelNetwork>>? reducedNetworks;
    private readonly ScalarType? computeType;

    /// <summary>Creates a scorer over the level networks (in level order).</summary>
    /// <param name="networks">One trained network per level.</param>
    /// <param name="kind">How the token score is formed.</param>
    /// <param name="computeType">A reduced type the networks run in (their outputs are scored in float32); null for float32.</param>
    /// <param name="reducedNetworks">Copies of <paramref name="networks"/> in a given type; needed with <paramref name="computeType"/>.</param>
    public EdAnomalyScorer(IReadOnlyList<EdLevelNetwork> networks, AnomalyScoreKind kind = AnomalyScoreKind.ReconstructionTimesInter, ScalarType? computeType = null, Func<ScalarType, IReadOnlyList<EdLevelNetwork>>? reducedNetworks = null)
    {
        ArgumentNullException.ThrowIfNull(networks);
        if (networks.Count == 0)
        {
            throw new ArgumentException("At least one level network is needed.", nameof(networks));
        }

        this.networks = networks;
        this.kind = kind;
        this.computeType = computeType;
        this.reducedNetworks = computeType is null ? null : reducedNetworks ?? throw new ArgumentNullException(nameof(reducedNetworks));
    }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> ScoreLevels(FeatureMaps features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count != networks.Count)
        {
            throw new ArgumentException($"The scorer has {networks.Count} levels but {features.Count} feature maps were given.", nameof(features));
        }

        using var noGrad = no_grad();
        var run = computeType is { } type ? reducedNetworks!(type) : networks;
        var grids = new Tensor[networks.Count];
        for (var i = 0; i < networks.Count; i++)
        {
            using var scope = NewDisposeScope();
            var map = features[i];
            var tokens = FeatureTokens.FromFeatureMap(map);
            // A reduced pass is scored in float32: the KL terms' softmax and logarithms, the reconstruction error and the product.
            using var output = computeType is { } reduced ? run[i].call(tokens.to(reduced)).To(ScalarType.Float32) : run[i].call(tokens);
            // Only the branch the score uses is scored: the other's KL terms over (B, H, L, L) maps would be wasted.
            using var scores = EdTokenScorer.Compute(
                output,
                tokens,
                computeIntra: kind == AnomalyScoreKind.ReconstructionTimesIntra,
                computeInter: kind == AnomalyScoreKind.ReconstructionTimesInter);
            var perToken = kind switch
            {
                AnomalyScoreKind.ReconstructionTimesInter => scores.Reconstruction * (scores.Inter ?? throw MissingBranch("inter")),
                AnomalyScoreKind.ReconstructionTimesIntra => scores.Reconstruction * (scores.Intra ?? throw MissingBranch("intra")),
                _ => scores.Reconstruction,
            };
            grids[i] = perToken.reshape(map.shape[0], map.shape[2], map.shape[3]).MoveToOuterDisposeScope();
        }

        return grids;
    }

    private InvalidOperationException MissingBranch(string branch) =>
        new($"Score kind {kind} needs the {branch} branch, but the level networks were built without it.");
}

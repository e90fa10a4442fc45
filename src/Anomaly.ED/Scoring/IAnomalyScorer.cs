using Anomaly.ED.Backbones;
using static TorchSharp.torch;

namespace Anomaly.ED.Scoring;

/// <summary>Scores backbone features: one anomaly-score grid per level, which the map generator upsamples and combines.</summary>
internal interface IAnomalyScorer
{
    /// <summary>Computes the per-level score grids of a batch; implementations are thread-safe for concurrent calls.</summary>
    /// <param name="features">The backbone features of a batch, one map per level in level order.</param>
    /// <returns>One (B, h, w) float32 grid per level, in the caller's dispose scope.</returns>
    IReadOnlyList<Tensor> ScoreLevels(FeatureMaps features);
}

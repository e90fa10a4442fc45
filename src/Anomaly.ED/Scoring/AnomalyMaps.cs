using TorchSharp;

namespace Anomaly.ED.Scoring;

/// <summary>The anomaly maps of a batch: the level average before smoothing, the smoothed maps and the image scores; the caller owns (disposes) the tensors.</summary>
/// <param name="Combined">Level-averaged maps (B, H, W) before smoothing; the reference computes pixel AUROC on these.</param>
/// <param name="Smoothed">Gaussian-smoothed maps (B, H, W).</param>
/// <param name="ImageScores">Per-image scores (B): the maximum of each smoothed map.</param>
internal sealed record AnomalyMaps(torch.Tensor Combined, torch.Tensor Smoothed, torch.Tensor ImageScores) : IDisposable
{
    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        Combined.Dispose();
        Smoothed.Dispose();
        ImageScores.Dispose();
    }
}

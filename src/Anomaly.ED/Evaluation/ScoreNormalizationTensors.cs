using TorchSharp;

namespace Anomaly.ED.Evaluation;

/// <summary>A <see cref="ScoreNormalization"/> applied to tensors (kept apart from it so that the normalisation needs no libtorch).</summary>
internal static class ScoreNormalizationTensors
{
    /// <summary>Returns a new normalised tensor of the same shape, dtype and device (scores or maps, any shape).</summary>
    /// <param name="normalization">The normalisation.</param>
    /// <param name="scores">Floating-point scores or maps.</param>
    /// <exception cref="ArgumentException">The tensor is not floating point.</exception>
    public static torch.Tensor Apply(this ScoreNormalization normalization, torch.Tensor scores)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        ArgumentNullException.ThrowIfNull(scores);
        if (!torch.is_floating_point(scores))
        {
            throw new ArgumentException($"Score normalisation needs a floating-point tensor, got {scores.dtype}.", nameof(scores));
        }

        using var scope = torch.NewDisposeScope();
        var normalized = scores.to(torch.float64).sub(normalization.Threshold).div(normalization.Maximum - normalization.Minimum).add(0.5).clamp(0.0, 1.0).to(scores.dtype);
        return normalized.MoveToOuterDisposeScope();
    }
}

using static TorchSharp.torch;

namespace Anomaly.ED.Network;

/// <summary>What one <see cref="Attention2D"/> call returns.</summary>
/// <param name="Output">Attention output (B, L, d_model), heads concatenated (before the residual).</param>
/// <param name="Attention">Softmax attention map (B, H, L, S), or null when maps were not requested.</param>
/// <param name="Prior">Unnormalised Gaussian prior (B, H, L, L), or null when maps were not requested.</param>
internal sealed record AttentionOutput(Tensor Output, Tensor? Attention, Tensor? Prior);

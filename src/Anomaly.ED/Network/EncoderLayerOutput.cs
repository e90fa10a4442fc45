using static TorchSharp.torch;

namespace Anomaly.ED.Network;

/// <summary>What one <see cref="EncoderLayer"/> returns; the maps of a branch that is off are null.</summary>
/// <param name="Output">Layer output (B, L, d_model).</param>
/// <param name="IntraAttention">Self-attention map (B, H, L, L).</param>
/// <param name="IntraPrior">Unnormalised Gaussian prior of the intra branch (B, H, L, L).</param>
/// <param name="InterAttention">Cross-attention map (B, H, L, L).</param>
/// <param name="InterPrior">Unnormalised Gaussian prior of the inter branch (B, H, L, L).</param>
internal sealed record EncoderLayerOutput(Tensor Output, Tensor? IntraAttention, Tensor? IntraPrior, Tensor? InterAttention, Tensor? InterPrior);

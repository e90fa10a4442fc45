using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>What one <see cref="EncoderLayer"/> returns; the maps of a branch that is off are null.</summary>
/// <remarks>The maps are built on first read (see <see cref="AttentionOutput"/>).</remarks>
internal sealed class EncoderLayerOutput
{
    internal EncoderLayerOutput(Tensor output, AttentionMaps? intra, AttentionMaps? inter)
    {
        Output = output;
        Intra = intra;
        Inter = inter;
    }

    /// <summary>Layer output (B, L, d_model).</summary>
    public Tensor Output { get; }

    /// <summary>Self-attention map (B, H, L, L).</summary>
    public Tensor? IntraAttention => Intra?.Attention;

    /// <summary>Unnormalised Gaussian prior of the intra branch (B, H, L, L).</summary>
    public Tensor? IntraPrior => Intra?.Prior;

    /// <summary>Cross-attention map (B, H, L, L).</summary>
    public Tensor? InterAttention => Inter?.Attention;

    /// <summary>Unnormalised Gaussian prior of the inter branch (B, H, L, L).</summary>
    public Tensor? InterPrior => Inter?.Prior;

    internal AttentionMaps? Intra { get; }

    internal AttentionMaps? Inter { get; }

    internal void MoveToOuterDisposeScope()
    {
        Output.MoveToOuterDisposeScope();
        Intra?.MoveToOuterDisposeScope();
        Inter?.MoveToOuterDisposeScope();
    }
}

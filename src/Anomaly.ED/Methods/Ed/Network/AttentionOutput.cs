using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>What one <see cref="Attention2D"/> call returns.</summary>
/// <remarks>
/// The maps are built on first read (each is a (B, H, L, S) tensor); the library's own scores and losses never read
/// them. They are disposed with the dispose scope of the output, like every other tensor of the call.
/// </remarks>
internal sealed class AttentionOutput
{
    internal AttentionOutput(Tensor output, AttentionMaps? maps)
    {
        Output = output;
        Maps = maps;
    }

    /// <summary>Attention output (B, L, d_model), heads concatenated (before the residual).</summary>
    public Tensor Output { get; }

    /// <summary>Softmax attention map (B, H, L, S), or null when maps were not requested.</summary>
    public Tensor? Attention => Maps?.Attention;

    /// <summary>Unnormalised Gaussian prior (B, H, L, L), or null when maps were not requested.</summary>
    public Tensor? Prior => Maps?.Prior;

    internal AttentionMaps? Maps { get; }
}

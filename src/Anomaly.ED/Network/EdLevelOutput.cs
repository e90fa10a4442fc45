using System.Globalization;
using static TorchSharp.torch;

namespace Anomaly.ED.Network;

/// <summary>
/// The result of one level's network: the reconstructed tokens and, per layer, the attention maps and unnormalised
/// Gaussian priors of each active branch (the lists of a branch that is off are empty). Disposing it disposes every tensor.
/// </summary>
internal sealed class EdLevelOutput : IDisposable
{
    /// <summary>Creates the result.</summary>
    /// <param name="reconstruction">Reconstructed tokens (B, L, C).</param>
    /// <param name="intraAttention">Per layer, the self-attention map (B, H, L, L).</param>
    /// <param name="intraPrior">Per layer, the intra prior (B, H, L, L).</param>
    /// <param name="interAttention">Per layer, the cross-attention map (B, H, L, L).</param>
    /// <param name="interPrior">Per layer, the inter prior (B, H, L, L).</param>
    public EdLevelOutput(Tensor reconstruction, IReadOnlyList<Tensor> intraAttention, IReadOnlyList<Tensor> intraPrior, IReadOnlyList<Tensor> interAttention, IReadOnlyList<Tensor> interPrior)
    {
        Reconstruction = reconstruction ?? throw new ArgumentNullException(nameof(reconstruction));
        IntraAttention = intraAttention ?? throw new ArgumentNullException(nameof(intraAttention));
        IntraPrior = intraPrior ?? throw new ArgumentNullException(nameof(intraPrior));
        InterAttention = interAttention ?? throw new ArgumentNullException(nameof(interAttention));
        InterPrior = interPrior ?? throw new ArgumentNullException(nameof(interPrior));
    }

    /// <summary>Reconstructed tokens (B, L, C).</summary>
    public Tensor Reconstruction { get; }

    /// <summary>Per layer, the self-attention map (B, H, L, L); empty when the intra branch is off.</summary>
    public IReadOnlyList<Tensor> IntraAttention { get; }

    /// <summary>Per layer, the unnormalised Gaussian prior of the intra branch (B, H, L, L); empty when the intra branch is off.</summary>
    public IReadOnlyList<Tensor> IntraPrior { get; }

    /// <summary>Per layer, the cross-attention map (B, H, L, L); empty when the inter branch is off.</summary>
    public IReadOnlyList<Tensor> InterAttention { get; }

    /// <summary>Per layer, the unnormalised Gaussian prior of the inter branch (B, H, L, L); empty when the inter branch is off.</summary>
    public IReadOnlyList<Tensor> InterPrior { get; }

    /// <summary>Whether the intra branch produced maps.</summary>
    public bool HasIntra => IntraAttention.Count > 0;

    /// <summary>Whether the inter branch produced maps.</summary>
    public bool HasInter => InterAttention.Count > 0;

    /// <summary>Moves every tensor to the enclosing dispose scope (used when returning the result from a scope).</summary>
    /// <returns>This instance.</returns>
    public EdLevelOutput MoveToOuterDisposeScope()
    {
        foreach (var t in AllTensors())
        {
            t.MoveToOuterDisposeScope();
        }

        return this;
    }

    /// <summary>Detaches every tensor from any dispose scope, so that only <see cref="Dispose"/> releases them.</summary>
    /// <returns>This instance.</returns>
    public EdLevelOutput DetachFromDisposeScope()
    {
        foreach (var t in AllTensors())
        {
            t.DetachFromDisposeScope();
        }

        return this;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in AllTensors())
        {
            t.Dispose();
        }
    }

    private IEnumerable<Tensor> AllTensors() =>
        new[] { Reconstruction }.Concat(IntraAttention).Concat(IntraPrior).Concat(InterAttention).Concat(InterPrior);

    /// <summary>Throws when <paramref name="tokens"/> do not have the reconstruction's shape (losses and scores compare the two).</summary>
    internal void RequireTokensShape(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (!Reconstruction.shape.SequenceEqual(tokens.shape))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The tokens ({string.Join(", ", tokens.shape)}) must have the shape of the reconstruction ({string.Join(", ", Reconstruction.shape)})."),
                nameof(tokens));
        }
    }
}

using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// The attention map and Gaussian prior of one branch of one layer. Normally it holds only the small operands they are
/// made of (<see cref="AttentionOperands"/>): the full (B, H, L, S) maps are built on first request, while scores and
/// losses use the row-blocked computations of <see cref="TiledAttention"/> and never build them. In training the
/// association terms of the objective come with it, already computed by the attention's autograd function.
/// </summary>
internal sealed class AttentionMaps : IDisposable
{
    private readonly AttentionOperands? operands;
    private readonly Tensor? owner;
    private Tensor? attention;
    private Tensor? prior;

    /// <summary>Maps that are built on request from <paramref name="operands"/> (which this instance then owns).</summary>
    public AttentionMaps(AttentionOperands operands, AssociationTerms? terms)
    {
        this.operands = operands;
        owner = operands.Query;
        Terms = terms;
    }

    /// <summary>Maps that were computed in full (dropout in training: the map the output used is not reproducible).</summary>
    public AttentionMaps(Tensor attention, Tensor prior)
    {
        this.attention = attention;
        this.prior = prior;
        owner = attention;
    }

    /// <summary>The association terms of the objective computed with the forward pass, or null.</summary>
    public AssociationTerms? Terms { get; }

    /// <summary>Whether scores and losses can be computed block by block from the operands.</summary>
    public bool IsTiled => operands is not null;

    /// <summary>The operands (only when <see cref="IsTiled"/>).</summary>
    public AttentionOperands Operands => operands ?? throw new InvalidOperationException("These maps were computed in full.");

    /// <summary>The attention map (B, H, L, S).</summary>
    public Tensor Attention => attention ??= Build(() => TiledAttention.AttentionBlock(Operands, 0, Operands.Length));

    /// <summary>The unnormalised Gaussian prior T = exp(-dy / (2 s1^2) - dx / (2 s2^2)) / (2 pi s1 s2), (B, H, L, L).</summary>
    public Tensor Prior => prior ??= Build(() => UnnormalisedPrior(Operands));

    /// <summary>New maps with their tensors in <paramref name="type"/>, in the caller's dispose scope (association terms, a training quantity, are not carried).</summary>
    public AttentionMaps To(ScalarType type) => operands is not null
        ? new AttentionMaps(operands.To(type), null)
        : new AttentionMaps(attention!.to(type), prior!.to(type));

    /// <summary>Moves every tensor to the enclosing dispose scope.</summary>
    public void MoveToOuterDisposeScope()
    {
        operands?.MoveToOuterDisposeScope();
        Terms?.MoveToOuterDisposeScope();
        attention?.MoveToOuterDisposeScope();
        prior?.MoveToOuterDisposeScope();
    }

    /// <summary>Detaches every tensor from any dispose scope.</summary>
    public void DetachFromDisposeScope()
    {
        operands?.DetachFromDisposeScope();
        Terms?.DetachFromDisposeScope();
        attention?.DetachFromDisposeScope();
        prior?.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        operands?.Dispose();
        Terms?.Dispose();
        attention?.Dispose();
        prior?.Dispose();
    }

    /// <summary>The reference's T, built from the separable factors (the full distance tables are never made).</summary>
    internal static Tensor UnnormalisedPrior(AttentionOperands x)
    {
        using var scope = NewDisposeScope();
        var ey = TiledAttention.AxisExponential(x.RowDistances, x.Sigma1!);
        var ex = TiledAttention.AxisExponential(x.ColumnDistances, x.Sigma2!);
        var normaliser = (x.Sigma1! * (2 * Math.PI) * x.Sigma2!).reciprocal().unsqueeze(-1);
        return ((ey.unsqueeze(-1) * ex.unsqueeze(-2)).flatten(-2) * normaliser).MoveToOuterDisposeScope();
    }

    // A map built on request lives as long as the operands it came from: in their dispose scope, and disposed with them.
    private Tensor Build(Func<Tensor> make)
    {
        using var scope = NewDisposeScope();
        return make().MoveToOtherDisposeScope(owner!);
    }
}

/// <summary>
/// The association terms of one branch of one layer (0-d, each a mean over batch, heads and query rows): the symmetric
/// KL divergence between attention and prior with the gradient into the attention (<see cref="First"/>) or into the
/// prior (<see cref="Second"/>), and the attention's entropy.
/// </summary>
internal sealed record AssociationTerms(Tensor First, Tensor Second, Tensor Entropy) : IDisposable
{
    public void MoveToOuterDisposeScope()
    {
        First.MoveToOuterDisposeScope();
        Second.MoveToOuterDisposeScope();
        Entropy.MoveToOuterDisposeScope();
    }

    public void DetachFromDisposeScope()
    {
        First.DetachFromDisposeScope();
        Second.DetachFromDisposeScope();
        Entropy.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        First.Dispose();
        Second.Dispose();
        Entropy.Dispose();
    }
}

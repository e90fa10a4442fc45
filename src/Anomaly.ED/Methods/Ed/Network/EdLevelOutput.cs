using System.Globalization;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// The result of one level's network: the reconstructed tokens and, per layer, the attention maps and unnormalised
/// Gaussian priors of each active branch (the lists of a branch that is off are empty). Disposing it disposes every tensor.
/// </summary>
/// <remarks>
/// The network's own output holds each map as the small operands it is made of and builds the (B, H, L, S) tensor only
/// when it is read; <see cref="Scoring.EdTokenScorer"/> and <see cref="Training.EdObjective"/> compute from the
/// operands in blocks of query rows and never read the maps.
/// </remarks>
internal sealed class EdLevelOutput : IDisposable
{
    /// <summary>Creates the result from maps computed in full.</summary>
    /// <param name="reconstruction">Reconstructed tokens (B, L, C).</param>
    /// <param name="intraAttention">Per layer, the self-attention map (B, H, L, L).</param>
    /// <param name="intraPrior">Per layer, the intra prior (B, H, L, L).</param>
    /// <param name="interAttention">Per layer, the cross-attention map (B, H, L, L).</param>
    /// <param name="interPrior">Per layer, the inter prior (B, H, L, L).</param>
    public EdLevelOutput(Tensor reconstruction, IReadOnlyList<Tensor> intraAttention, IReadOnlyList<Tensor> intraPrior, IReadOnlyList<Tensor> interAttention, IReadOnlyList<Tensor> interPrior)
        : this(reconstruction, Pairs(intraAttention, intraPrior, nameof(intraPrior)), Pairs(interAttention, interPrior, nameof(interPrior)))
    {
    }

    internal EdLevelOutput(Tensor reconstruction, IReadOnlyList<AttentionMaps> intra, IReadOnlyList<AttentionMaps> inter)
    {
        Reconstruction = reconstruction ?? throw new ArgumentNullException(nameof(reconstruction));
        Intra = intra;
        Inter = inter;
        IntraAttention = new MapList(intra, m => m.Attention);
        IntraPrior = new MapList(intra, m => m.Prior);
        InterAttention = new MapList(inter, m => m.Attention);
        InterPrior = new MapList(inter, m => m.Prior);
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
    public bool HasIntra => Intra.Count > 0;

    /// <summary>Whether the inter branch produced maps.</summary>
    public bool HasInter => Inter.Count > 0;

    /// <summary>Per layer, the intra branch's maps.</summary>
    internal IReadOnlyList<AttentionMaps> Intra { get; }

    /// <summary>Per layer, the inter branch's maps.</summary>
    internal IReadOnlyList<AttentionMaps> Inter { get; }

    /// <summary>Moves every tensor to the enclosing dispose scope (used when returning the result from a scope).</summary>
    /// <returns>This instance.</returns>
    public EdLevelOutput MoveToOuterDisposeScope()
    {
        Reconstruction.MoveToOuterDisposeScope();
        foreach (var m in Intra.Concat(Inter))
        {
            m.MoveToOuterDisposeScope();
        }

        return this;
    }

    /// <summary>Detaches every tensor from any dispose scope, so that only <see cref="Dispose"/> releases them.</summary>
    /// <returns>This instance.</returns>
    public EdLevelOutput DetachFromDisposeScope()
    {
        Reconstruction.DetachFromDisposeScope();
        foreach (var m in Intra.Concat(Inter))
        {
            m.DetachFromDisposeScope();
        }

        return this;
    }

    /// <summary>A new output with every tensor in <paramref name="type"/>, in the caller's dispose scope: a reduced-precision
    /// forward pass is scored in float32.</summary>
    internal EdLevelOutput To(ScalarType type) =>
        new(Reconstruction.to(type), Intra.Select(m => m.To(type)).ToArray(), Inter.Select(m => m.To(type)).ToArray());

    /// <inheritdoc/>
    public void Dispose()
    {
        Reconstruction.Dispose();
        foreach (var m in Intra.Concat(Inter))
        {
            m.Dispose();
        }
    }

    private static AttentionMaps[] Pairs(IReadOnlyList<Tensor> attention, IReadOnlyList<Tensor> prior, string name)
    {
        ArgumentNullException.ThrowIfNull(attention);
        ArgumentNullException.ThrowIfNull(prior);
        if (attention.Count != prior.Count)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"There are {attention.Count} attention maps but {prior.Count} priors."),
                name);
        }

        return attention.Zip(prior, (a, p) => new AttentionMaps(a, p)).ToArray();
    }

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

/// <summary>A read-only view of one kind of map over the layers; each map is built when first read.</summary>
internal sealed class MapList(IReadOnlyList<AttentionMaps> maps, Func<AttentionMaps, Tensor> select) : IReadOnlyList<Tensor>
{
    public int Count => maps.Count;

    public Tensor this[int index] => select(maps[index]);

    public IEnumerator<Tensor> GetEnumerator() => maps.Select(select).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

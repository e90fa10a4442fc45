using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// What one attention branch needs to rebuild any block of query rows of its attention map and Gaussian prior: the
/// scaled queries, the keys and values, the prior widths and the grid's separable distance tables. All tensors are
/// owned (aliases of module tensors where they come from a module), so they outlive the module call that made them.
/// </summary>
internal sealed class AttentionOperands : IDisposable
{
    /// <summary>Queries times the attention scale, (B, H, L, E).</summary>
    public required Tensor Query { get; init; }

    /// <summary>Keys (B or 1, H, S, E).</summary>
    public required Tensor Key { get; init; }

    /// <summary>Values (B or 1, H, S, E).</summary>
    public required Tensor Value { get; init; }

    /// <summary>Row widths sigma1 of the prior, (B, H, L); null when no prior is needed.</summary>
    public Tensor? Sigma1 { get; init; }

    /// <summary>Column widths sigma2 of the prior, (B, H, L); null when no prior is needed.</summary>
    public Tensor? Sigma2 { get; init; }

    /// <summary>(row_i - r)^2 for every token i and grid row r: (L, GH).</summary>
    public required Tensor RowDistances { get; init; }

    /// <summary>(col_i - c)^2 for every token i and grid column c: (L, GW).</summary>
    public required Tensor ColumnDistances { get; init; }

    /// <summary>The relative-position biases (H, offsets), or null.</summary>
    public Tensor? Biases { get; init; }

    /// <summary>The offset index (L, S) into <see cref="Biases"/>, or null.</summary>
    public Tensor? BiasIndex { get; init; }

    public long Batch => Query.shape[0];

    public long Heads => Query.shape[1];

    public long Length => Query.shape[2];

    public long KeyLength => Key.shape[2];

    public long GridHeight => RowDistances.shape[1];

    public long GridWidth => ColumnDistances.shape[1];

    /// <summary>New operands with every floating-point tensor in <paramref name="type"/> (a reduced forward pass's operands, scored in float32).</summary>
    public AttentionOperands To(ScalarType type) => new()
    {
        Query = Query.to(type),
        Key = Key.to(type),
        Value = Value.to(type),
        Sigma1 = Sigma1?.to(type),
        Sigma2 = Sigma2?.to(type),
        RowDistances = RowDistances.to(type),
        ColumnDistances = ColumnDistances.to(type),
        Biases = Biases?.to(type),
        BiasIndex = BiasIndex?.alias(),
    };

    /// <summary>Moves every tensor to the enclosing dispose scope.</summary>
    public void MoveToOuterDisposeScope()
    {
        foreach (var t in All())
        {
            t.MoveToOuterDisposeScope();
        }
    }

    /// <summary>Detaches every tensor from any dispose scope.</summary>
    public void DetachFromDisposeScope()
    {
        foreach (var t in All())
        {
            t.DetachFromDisposeScope();
        }
    }

    public void Dispose()
    {
        foreach (var t in All())
        {
            t.Dispose();
        }
    }

    private IEnumerable<Tensor> All() =>
        new[] { Query, Key, Value, Sigma1, Sigma2, RowDistances, ColumnDistances, Biases, BiasIndex }.OfType<Tensor>();
}

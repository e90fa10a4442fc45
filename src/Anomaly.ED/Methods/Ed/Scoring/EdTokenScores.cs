using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Scoring;

/// <summary>
/// Per-token anomaly scores of one level (all (B, L)); the terms of a branch that is off are null. Disposing it disposes
/// every tensor.
/// </summary>
internal sealed class EdTokenScores : IDisposable
{
    /// <summary>mean_c (x - out)^2 + 1 - cos(x, out).</summary>
    public required Tensor Reconstruction { get; init; }

    /// <summary>Layer mean of kl(A, P) + kl(P, A) over the self-attention maps (temperature applied).</summary>
    public Tensor? IntraCorrelations { get; init; }

    /// <summary>Layer mean of kl(A, P) + kl(P, A) over the cross-attention maps (temperature applied).</summary>
    public Tensor? InterCorrelations { get; init; }

    /// <summary>softmax(-intra correlations) over the tokens (computed by the reference, used only without the inter branch).</summary>
    public Tensor? Intra { get; init; }

    /// <summary>max(s) - s with s = softmax(-inter correlations) over the tokens; the max is taken per image.</summary>
    public Tensor? Inter { get; init; }

    /// <summary>The score: rec * inter (rec * intra with the intra branch only, rec with neither).</summary>
    public required Tensor Final { get; init; }

    /// <summary>Moves every tensor to the enclosing dispose scope.</summary>
    /// <returns>This instance.</returns>
    public EdTokenScores MoveToOuterDisposeScope()
    {
        foreach (var t in All())
        {
            t.MoveToOuterDisposeScope();
        }

        return this;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in All())
        {
            t.Dispose();
        }
    }

    // By reference: Tensor.Equals reads the native handle, which throws once an aliased entry has been disposed.
    private IEnumerable<Tensor> All() =>
        new[] { Reconstruction, IntraCorrelations, InterCorrelations, Intra, Inter, Final }.OfType<Tensor>().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().ToArray();
}

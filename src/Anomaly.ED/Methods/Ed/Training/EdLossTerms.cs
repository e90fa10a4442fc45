using Anomaly.ED.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>
/// The training losses of one level (all 0-d tensors that carry the graph). Terms of a branch that is off are null;
/// <see cref="Loss2"/> is null when both branches are off (then <see cref="Loss1"/> is the reconstruction loss alone).
/// Disposing it disposes every tensor.
/// </summary>
internal sealed class EdLossTerms : IDisposable
{
    /// <summary>MSE(out, x) + mean(1 - cos(out, x)).</summary>
    public required Tensor Reconstruction { get; init; }

    /// <summary>Layer mean of KL(P, A) + KL(A, P) with the prior P detached (gradient into the attention).</summary>
    public Tensor? Intra1 { get; init; }

    /// <summary>The same value as <see cref="Intra1"/> with the attention detached (gradient into the prior).</summary>
    public Tensor? Intra2 { get; init; }

    /// <summary>Layer mean of the self-attention entropy.</summary>
    public Tensor? IntraEntropy { get; init; }

    /// <summary>Like <see cref="Intra1"/> for the cross-attention.</summary>
    public Tensor? Inter1 { get; init; }

    /// <summary>Like <see cref="Intra2"/> for the cross-attention.</summary>
    public Tensor? Inter2 { get; init; }

    /// <summary>Layer mean of the cross-attention entropy.</summary>
    public Tensor? InterEntropy { get; init; }

    /// <summary>The first minimax loss (prior side): rec + l1 intra2 - l1 inter2 (reduced when a branch is off).</summary>
    public required Tensor Loss1 { get; init; }

    /// <summary>The second minimax loss (attention side): rec - l1 intra1 - l2 intra_entropy + l1 inter1 + l2 inter_entropy.</summary>
    public Tensor? Loss2 { get; init; }

    /// <summary>The current values as doubles, for logging (read from any floating-point type).</summary>
    /// <returns>A snapshot of every term.</returns>
    public EdLossValues ToValues() => new(
        Reconstruction.ToSingle(),
        Value(Intra1),
        Value(Intra2),
        Value(IntraEntropy),
        Value(Inter1),
        Value(Inter2),
        Value(InterEntropy),
        Loss1.ToSingle(),
        Value(Loss2));

    /// <summary>Moves every tensor to the enclosing dispose scope.</summary>
    /// <returns>This instance.</returns>
    public EdLossTerms MoveToOuterDisposeScope()
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

    private static double? Value(Tensor? t) => t is null ? null : t.ToSingle();

    // By reference: Tensor.Equals reads the native handle, which throws once an aliased entry has been disposed.
    private IEnumerable<Tensor> All() =>
        new[] { Reconstruction, Intra1, Intra2, IntraEntropy, Inter1, Inter2, InterEntropy, Loss1, Loss2 }.OfType<Tensor>().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().ToArray();
}

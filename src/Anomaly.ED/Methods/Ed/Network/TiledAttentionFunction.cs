using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// Autograd for one attention branch in training: returns the attention output and the three association terms of the
/// minimax objective (the symmetric KL with gradient into A, the same value with gradient into P, and the entropy of A),
/// computed block by block (<see cref="TiledAttention"/>). Only the small operands are saved; the backward pass
/// recomputes each block of A and P, so no map-sized tensor lives between the passes.
/// </summary>
/// <remarks>
/// Arguments, in order: scaled queries, keys, values, sigma1, sigma2, relative-position biases (or null), their index
/// (or null), the row and column distance tables. Outputs: the output (B, H, L, E) and the three terms (3), each the mean
/// over batch, heads and query rows: sum_j (p - a)(lp - la) [into A], the same [into P], and -sum_j a la [into A].
/// </remarks>
internal sealed class TiledAttentionFunction : MultiTensorFunction<TiledAttentionFunction>
{
    public override string Name => nameof(TiledAttentionFunction);

    /// <summary>
    /// The growth of resident memory since the last release after which an attention pass first hands the heap's free
    /// pages back: training at the reference configuration then peaked at 1.55-1.90 GB over about twenty runs instead of
    /// 1.95-2.35 GB, at no cost beyond the runs' noise; 256 MB gave 1.5 GB at 1.2 times the step's time, as the released
    /// pages fault in again (docs/benchmarks.md).
    /// </summary>
    internal const long HeapGrowthBeforeRelease = 512L << 20;

    /// <summary>Applies the function to the operands.</summary>
    public static (Tensor Output, Tensor First, Tensor Second, Tensor Entropy) Apply(AttentionOperands x)
    {
        var results = apply(x.Query, x.Key, x.Value, x.Sigma1, x.Sigma2, x.Biases, x.BiasIndex, x.RowDistances, x.ColumnDistances);
        var terms = results[1];
        return (results[0], terms.select(0, 0), terms.select(0, 1), terms.select(0, 2));
    }

    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        Runtime.NativeHeap.ReleaseFreedMemoryOver(HeapGrowthBeforeRelease);
        var x = Operands(vars);
        ctx.save_for_backward(vars.OfType<Tensor>().ToList());
        ctx.save_data("biased", x.Biases is not null);

        // An output without gradient stays undefined rather than zero-filled: TorchSharp's zero-filling reads tensors
        // that the caller's dispose scope has released by then. The three terms share one output, so that a loss using
        // any of them gives a defined gradient for all.
        ctx.set_materialize_grads(false);
        var (output, symmetric, aLogA) = TiledAttention.OutputAndTerms(x, withOutput: true);
        var count = (double)(x.Batch * x.Heads * x.Length);
        var first = symmetric / count;
        return [output!, stack([first, first, aLogA / -count])];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> grad_outputs)
    {
        var saved = ctx.get_saved_variables();
        var biased = (bool)ctx.get_data("biased");
        var x = biased
            ? Operands([saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], saved[6], saved[7], saved[8]])
            : Operands([saved[0], saved[1], saved[2], saved[3], saved[4], null, null, saved[5], saved[6]]);
        var count = (double)(x.Batch * x.Heads * x.Length);
        double[] termGradients = grad_outputs[1].IsInvalid ? [0, 0, 0] : grad_outputs[1].to(ScalarType.Float64).cpu().data<double>().ToArray();
        var first = termGradients[0] / count;
        var second = termGradients[1] / count;
        var entropy = termGradients[2] / count;
        Runtime.NativeHeap.ReleaseFreedMemoryOver(HeapGrowthBeforeRelease);
        var g = TiledAttention.Backward(x, Defined(grad_outputs[0]), first, second, -entropy);
        return [g.Query, g.Key, g.Value, g.Sigma1!, g.Sigma2!, g.Biases!, null!, null!, null!];
    }

    private static Tensor? Defined(Tensor gradient) => gradient.IsInvalid ? null : gradient;

    private static AttentionOperands Operands(object?[] vars) => new()
    {
        Query = (Tensor)vars[0]!,
        Key = (Tensor)vars[1]!,
        Value = (Tensor)vars[2]!,
        Sigma1 = (Tensor)vars[3]!,
        Sigma2 = (Tensor)vars[4]!,
        Biases = vars[5] as Tensor,
        BiasIndex = vars[6] as Tensor,
        RowDistances = (Tensor)vars[7]!,
        ColumnDistances = (Tensor)vars[8]!,
    };
}

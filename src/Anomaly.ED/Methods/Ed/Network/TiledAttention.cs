using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// The attention map A = softmax(Q K^T + bias), the row-normalised Gaussian prior P and everything ED derives from them,
/// computed in blocks of query rows so that no (B, H, L, S) tensor is ever held: every quantity is independent across
/// query rows (softmax, prior, KL and entropy are row-wise). A block's temporaries stay near <see cref="BlockBytes"/> per
/// image and below <see cref="MaxBlockBytes"/>.
/// </summary>
/// <remarks>
/// The prior is separable: P[i, (r, c)] = py_i[r] px_i[c] with py_i = softmax_r(-(row_i - r)^2 / (2 sigma1_i^2)) and
/// px_i likewise over the columns, which is the reference's T / sum_j T (its 1 / (2 pi sigma1 sigma2) factor cancels).
/// Only the two small factors are exponentiated; a block's P is their outer product.
/// </remarks>
internal static class TiledAttention
{
    /// <summary>The reference's epsilon inside every logarithm of the KL and entropy terms.</summary>
    public const double LogEpsilon = 1e-4;

    /// <summary>
    /// Target size of one image's share of a (B, H, rows, S) block temporary: 128 query rows at level 1. Big enough that
    /// per-operation overhead (and the intra-op threads' synchronisation) stays small against the work, small enough
    /// to stay in the last-level cache. Blocks are sized per image so that a batch runs the products of a single image
    /// (a budget for the whole batch gave a batch of 8 blocks of 16 rows, 10-25 % slower per image than one image).
    /// </summary>
    public const long BlockBytes = 4L << 20;

    /// <summary>Bound on a whole block temporary, whatever the batch: glibc's mmap threshold adapts up to 32 MiB.</summary>
    public const long MaxBlockBytes = 32L << 20;

    [ThreadStatic]
    private static long? rowsOverride;

    /// <summary>Query rows per block for these operands (at least one).</summary>
    public static long RowsPerBlock(AttentionOperands x)
    {
        if (rowsOverride is { } rows)
        {
            return Math.Min(rows, x.Length);
        }

        var bytesPerImageRow = Math.Max(1, x.Heads * x.KeyLength * x.Query.element_size());
        var budget = Math.Min(BlockBytes / bytesPerImageRow, MaxBlockBytes / (Math.Max(1, x.Batch) * bytesPerImageRow));
        return Math.Clamp(budget, 1, x.Length);
    }

    /// <summary>Uses blocks of <paramref name="rows"/> query rows on this thread until disposed (tests of the blocking).</summary>
    /// <param name="rows">Rows per block, at least one.</param>
    /// <returns>Restores the previous setting when disposed.</returns>
    public static IDisposable UseRowsPerBlock(long rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        var previous = rowsOverride;
        rowsOverride = rows;
        return new Restore(() => rowsOverride = previous);
    }

    /// <summary>The attention output A V, (B, H, L, E).</summary>
    public static Tensor Output(AttentionOperands x)
    {
        using var scope = NewDisposeScope();
        var blocks = new List<Tensor>();
        ForEachBlock(x, (start, rows) => blocks.Add(AttentionBlock(x, start, rows).matmul(x.Value)));
        return cat(blocks, 2).MoveToOuterDisposeScope();
    }

    /// <summary>Per token, the head mean of KL(A, P) + KL(P, A) = sum_j (p - a)(log(p + eps) - log(a + eps)): (B, L).</summary>
    public static Tensor Correlations(AttentionOperands x)
    {
        using var scope = NewDisposeScope();
        var blocks = new List<Tensor>();
        ForEachBlock(x, (start, rows) =>
        {
            using var blockScope = NewDisposeScope();
            var a = AttentionBlock(x, start, rows);
            var p = PriorBlock(x, start, rows).Prior;
            blocks.Add(Symmetric(a, p, Log(a), Log(p)).sum(-1).mean([1]).MoveToOuterDisposeScope());
        });
        return cat(blocks, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The attention output (when <paramref name="withOutput"/>) and the sums over every batch, head and query row of
    /// sum_j (p - a)(log(p + eps) - log(a + eps)) and of sum_j a log(a + eps).
    /// </summary>
    public static (Tensor? Output, Tensor Symmetric, Tensor ALogA) OutputAndTerms(AttentionOperands x, bool withOutput)
    {
        using var scope = NewDisposeScope();
        var blocks = new List<Tensor>();
        var symmetric = zeros([], dtype: x.Query.dtype, device: x.Query.device);
        var aLogA = zeros([], dtype: x.Query.dtype, device: x.Query.device);
        ForEachBlock(x, (start, rows) =>
        {
            using var blockScope = NewDisposeScope();
            var a = AttentionBlock(x, start, rows);
            var p = PriorBlock(x, start, rows).Prior;
            var la = Log(a);
            symmetric.add_(Symmetric(a, p, la, Log(p)).sum());
            aLogA.add_((a * la).sum());
            if (withOutput)
            {
                blocks.Add(a.matmul(x.Value).MoveToOuterDisposeScope());
            }
        });
        var output = withOutput ? cat(blocks, 2).MoveToOuterDisposeScope() : null;
        return (output, symmetric.MoveToOuterDisposeScope(), aLogA.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Gradients of w_out . (A V) + w1 sum (p - a)(lp - la) [through A only] + w2 sum (p - a)(lp - la) [through P only]
    /// + wa sum a la [through A] with respect to the scaled queries, keys, values, biases and prior widths, recomputing
    /// each block (nothing map-sized is kept between the forward and the backward pass).
    /// </summary>
    /// <param name="x">The operands of the forward pass.</param>
    /// <param name="gradOutput">Gradient of the output (B, H, L, E), or null for none.</param>
    /// <param name="first">w1.</param>
    /// <param name="second">w2.</param>
    /// <param name="aLogA">wa.</param>
    public static AttentionGradients Backward(AttentionOperands x, Tensor? gradOutput, double first, double second, double aLogA)
    {
        using var scope = NewDisposeScope();
        var keyBatch = x.Key.shape[0];
        var gradQuery = new List<Tensor>();
        var gradKey = zeros_like(x.Key);
        var gradValue = zeros_like(x.Value);
        var gradBiases = x.Biases is null ? null : zeros_like(x.Biases);
        var gradSigma1 = new List<Tensor>();
        var gradSigma2 = new List<Tensor>();
        var valueT = x.Value.transpose(-2, -1);
        ForEachBlock(x, (start, rows) =>
        {
            using var blockScope = NewDisposeScope();
            var q = x.Query.narrow(2, start, rows);
            var go = gradOutput?.narrow(2, start, rows);
            var a = AttentionBlock(x, start, rows);
            var gradA = go is null ? zeros_like(a) : go.matmul(valueT);

            // The three terms share a + eps, p + eps, their logarithms, la - lp and p - a, each computed once, and every
            // sum below is taken in place: the block's elementwise passes over (B, H, rows, S) dominate the backward.
            Tensor? ae = null, la = null, pe = null, difference = null, pa = null;
            PriorFactors? prior = null;
            if (first != 0 || second != 0 || aLogA != 0)
            {
                ae = a + LogEpsilon;
                la = ae.log();
            }

            if (first != 0 || second != 0)
            {
                prior = PriorBlock(x, start, rows);
                pe = prior.Value.Prior + LogEpsilon;
                difference = la! - pe.log();
                pa = prior.Value.Prior - a;
            }

            // d/da of first (p - a)(lp - la) + aLogA a la = first ((la - lp) - (p - a) / (a + eps)) + aLogA (la + a / (a + eps))
            // = first (la - lp) + aLogA la + (aLogA a - first (p - a)) / (a + eps).
            if (first != 0 || aLogA != 0)
            {
                var quotient = first == 0 ? a.mul(aLogA) : aLogA == 0 ? pa!.mul(-first) : pa!.mul(-first).add_(a, aLogA);
                if (first != 0)
                {
                    gradA.add_(difference!, first);
                }

                if (aLogA != 0)
                {
                    gradA.add_(la!, aLogA);
                }

                gradA.add_(quotient.div_(ae!));
            }

            // Softmax backward, then the two products of the scores.
            var gradScores = gradA.sub_((gradA * a).sum(-1, keepdim: true)).mul_(a);
            gradQuery.Add(gradScores.matmul(x.Key).MoveToOuterDisposeScope());
            var keyPart = gradScores.transpose(-2, -1).matmul(q);
            gradKey.add_(keyBatch == 1 ? keyPart.sum(0, keepdim: true) : keyPart);
            if (go is not null)
            {
                var valuePart = a.transpose(-2, -1).matmul(go);
                gradValue.add_(keyBatch == 1 ? valuePart.sum(0, keepdim: true) : valuePart);
            }
            if (gradBiases is not null)
            {
                gradBiases.index_add_(1, x.BiasIndex!.narrow(0, start, rows).flatten(), gradScores.sum([0L]).reshape(x.Heads, -1), 1);
            }

            if (second != 0)
            {
                var (_, py, px) = prior!.Value;

                // d/dp of (p - a)(lp - la) = (p - a) / (p + eps) - (la - lp); then through p = py (x) px.
                var gradP = pa!.div_(pe!).sub_(difference!).mul_(second).view(x.Batch, x.Heads, rows, x.GridHeight, x.GridWidth);
                var gradPy = (gradP * px.unsqueeze(-2)).sum(-1);
                var gradPx = (gradP * py.unsqueeze(-1)).sum(-2);
                gradSigma1.Add(WidthGradient(gradPy, py, x.RowDistances.narrow(0, start, rows), x.Sigma1!.narrow(2, start, rows)).MoveToOuterDisposeScope());
                gradSigma2.Add(WidthGradient(gradPx, px, x.ColumnDistances.narrow(0, start, rows), x.Sigma2!.narrow(2, start, rows)).MoveToOuterDisposeScope());
            }
        });

        return new AttentionGradients(
            cat(gradQuery, 2).MoveToOuterDisposeScope(),
            gradKey.MoveToOuterDisposeScope(),
            gradValue.MoveToOuterDisposeScope(),
            gradBiases?.MoveToOuterDisposeScope(),
            second != 0 ? cat(gradSigma1, 2).MoveToOuterDisposeScope() : null,
            second != 0 ? cat(gradSigma2, 2).MoveToOuterDisposeScope() : null);
    }

    /// <summary>The attention map of rows [start, start + rows): softmax(Q K^T + bias), (B, H, rows, S).</summary>
    public static Tensor AttentionBlock(AttentionOperands x, long start, long rows)
    {
        using var scope = NewDisposeScope();
        var scores = x.Query.narrow(2, start, rows).matmul(x.Key.transpose(-2, -1));
        if (x.Biases is not null)
        {
            scores = scores + x.Biases.index_select(1, x.BiasIndex!.narrow(0, start, rows).flatten()).view(x.Heads, rows, x.KeyLength);
        }

        return scores.softmax(-1).MoveToOuterDisposeScope();
    }

    /// <summary>The row-normalised prior of rows [start, start + rows) and its two factors.</summary>
    public static PriorFactors PriorBlock(AttentionOperands x, long start, long rows)
    {
        using var scope = NewDisposeScope();
        var py = Factor(x.RowDistances.narrow(0, start, rows), x.Sigma1!.narrow(2, start, rows));
        var px = Factor(x.ColumnDistances.narrow(0, start, rows), x.Sigma2!.narrow(2, start, rows));
        var p = (py.unsqueeze(-1) * px.unsqueeze(-2)).flatten(-2);
        return new PriorFactors(p.MoveToOuterDisposeScope(), py.MoveToOuterDisposeScope(), px.MoveToOuterDisposeScope());
    }

    /// <summary>exp(-d / (2 sigma^2)) for one axis, in the reference's float order: (B, H, rows, G).</summary>
    public static Tensor AxisExponential(Tensor distances, Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var s = sigma.unsqueeze(-1);
        return ((-distances) / ((s * s) * 2)).exp().MoveToOuterDisposeScope();
    }

    private static Tensor Factor(Tensor distances, Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var e = AxisExponential(distances, sigma);
        return (e / e.sum(-1, keepdim: true)).MoveToOuterDisposeScope();
    }

    // For f = softmax_g(-d_g / (2 s^2)): df_g/ds = f_g (u_g - sum_h f_h u_h) with u = d / s^3.
    private static Tensor WidthGradient(Tensor gradFactor, Tensor factor, Tensor distances, Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var s = sigma.unsqueeze(-1);
        var u = distances / (s * s * s);
        var weighted = gradFactor * factor;
        return (weighted * u).sum(-1).sub_(weighted.sum(-1) * (factor * u).sum(-1)).MoveToOuterDisposeScope();
    }

    private static Tensor Log(Tensor p) => (p + LogEpsilon).log_();

    // (p - a)(lp - la), elementwise; lp is overwritten (every caller passes a fresh one), saving a block-sized temporary.
    private static Tensor Symmetric(Tensor a, Tensor p, Tensor la, Tensor lp) => (p - a).mul_(lp.sub_(la));

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    private static void ForEachBlock(AttentionOperands x, Action<long, long> body)
    {
        var step = RowsPerBlock(x);
        for (long start = 0; start < x.Length; start += step)
        {
            body(start, Math.Min(step, x.Length - start));
        }
    }
}

/// <summary>A block of the row-normalised prior (B, H, rows, S) and its row and column factors.</summary>
internal readonly record struct PriorFactors(Tensor Prior, Tensor RowFactor, Tensor ColumnFactor);

/// <summary>Gradients with respect to the operands of <see cref="TiledAttention.Backward"/> (null where not needed).</summary>
internal sealed record AttentionGradients(Tensor Query, Tensor Key, Tensor Value, Tensor? Biases, Tensor? Sigma1, Tensor? Sigma2);

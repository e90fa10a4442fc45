using Anomaly.ED.Methods.Ed.Network;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>
/// The minimax training objective of one level, as the reference trainer computes it (float order included):
/// association discrepancies between attention maps A and row-normalised Gaussian priors P, their entropies, and the
/// reconstruction loss, combined into loss1 (optimises the priors) and loss2 (optimises the attention).
/// </summary>
internal static class EdObjective
{
    /// <summary>The reference's lambda1 and lambda2.</summary>
    public const double DefaultLambda = 0.5;

    private const double LogEpsilon = 1e-4;

    /// <summary>kl(p, q)[b, i] = mean over heads of sum_j p (log(p + 1e-4) - log(q + 1e-4)).</summary>
    /// <param name="p">Maps (B, H, L, S).</param>
    /// <param name="q">Maps (B, H, L, S).</param>
    /// <returns>(B, L).</returns>
    public static Tensor KlDivergence(Tensor p, Tensor q)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        using var scope = NewDisposeScope();
        var terms = p * ((p + LogEpsilon).log() - (q + LogEpsilon).log());
        return terms.sum(-1).mean([1]).MoveToOuterDisposeScope();
    }

    /// <summary>entropy(p)[b, i] = mean over heads of sum_j -p log(p + 1e-4).</summary>
    /// <param name="p">Maps (B, H, L, S).</param>
    /// <returns>(B, L).</returns>
    public static Tensor Entropy(Tensor p)
    {
        ArgumentNullException.ThrowIfNull(p);
        using var scope = NewDisposeScope();
        return ((-p) * (p + LogEpsilon).log()).sum(-1).mean([1]).MoveToOuterDisposeScope();
    }

    /// <summary>The row-normalised prior P = T / sum_j T.</summary>
    /// <param name="prior">Unnormalised prior T (B, H, L, L).</param>
    /// <returns>P (B, H, L, L).</returns>
    public static Tensor NormalisePrior(Tensor prior)
    {
        ArgumentNullException.ThrowIfNull(prior);
        using var scope = NewDisposeScope();
        return (prior / prior.sum(-1, keepdim: true)).MoveToOuterDisposeScope();
    }

    /// <summary>MSE(output, tokens) over all elements + mean over tokens of (1 - cos(output, tokens)) over channels (eps 1e-8).</summary>
    /// <param name="output">Reconstruction (B, L, C).</param>
    /// <param name="tokens">Input tokens (B, L, C).</param>
    /// <returns>0-d loss.</returns>
    public static Tensor ReconstructionLoss(Tensor output, Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(tokens);
        using var scope = NewDisposeScope();
        var mse = nn.functional.mse_loss(output, tokens);
        var cosine = nn.functional.cosine_similarity(output, tokens, dim: -1, eps: 1e-8);
        return (mse + (1 - cosine).mean()).MoveToOuterDisposeScope();
    }

    /// <summary>All loss terms of one level from its network output and input tokens.</summary>
    /// <param name="output">The network output (train mode).</param>
    /// <param name="tokens">The input tokens X (B, L, C).</param>
    /// <param name="lambda1">Weight of the association terms.</param>
    /// <param name="lambda2">Weight of the entropy terms.</param>
    /// <returns>The loss terms (the caller disposes them).</returns>
    /// <exception cref="ArgumentException">The shapes of output and tokens differ.</exception>
    public static EdLossTerms Compute(EdLevelOutput output, Tensor tokens, double lambda1 = DefaultLambda, double lambda2 = DefaultLambda)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.RequireTokensShape(tokens);

        using var scope = NewDisposeScope();
        var rec = ReconstructionLoss(output.Reconstruction, tokens);
        Tensor? intra1 = null, intra2 = null, intraEntropy = null, inter1 = null, inter2 = null, interEntropy = null;
        if (output.HasIntra)
        {
            (intra1, intra2, intraEntropy) = Association(output.Intra);
        }

        if (output.HasInter)
        {
            (inter1, inter2, interEntropy) = Association(output.Inter);
        }

        Tensor loss1;
        Tensor? loss2;
        if (intra1 is not null && inter1 is not null)
        {
            loss1 = rec + lambda1 * intra2! - lambda1 * inter2!;
            loss2 = rec - lambda1 * intra1 - lambda2 * intraEntropy! + lambda1 * inter1 + lambda2 * interEntropy!;
        }
        else if (intra1 is not null)
        {
            loss1 = rec + lambda1 * intra2!;
            loss2 = rec - lambda1 * intra1 - lambda2 * intraEntropy!;
        }
        else if (inter1 is not null)
        {
            loss1 = rec - lambda1 * inter2!;
            loss2 = rec + lambda1 * inter1 + lambda2 * interEntropy!;
        }
        else
        {
            loss1 = rec;
            loss2 = null;
        }

        return new EdLossTerms
        {
            Reconstruction = rec,
            Intra1 = intra1,
            Intra2 = intra2,
            IntraEntropy = intraEntropy,
            Inter1 = inter1,
            Inter2 = inter2,
            InterEntropy = interEntropy,
            Loss1 = loss1,
            Loss2 = loss2,
        }.MoveToOuterDisposeScope();
    }

    private static (Tensor First, Tensor Second, Tensor Entropy) Association(IReadOnlyList<AttentionMaps> layers)
    {
        Tensor? first = null, second = null, entropy = null;
        foreach (var maps in layers)
        {
            var (termFirst, termSecond, termEntropy) = LayerTerms(maps);
            first = first is null ? termFirst : first + termFirst;
            second = second is null ? termSecond : second + termSecond;
            entropy = entropy is null ? termEntropy : entropy + termEntropy;
        }

        var n = layers.Count;
        return (first! / n, second! / n, entropy! / n);
    }

    private static (Tensor First, Tensor Second, Tensor Entropy) LayerTerms(AttentionMaps maps)
    {
        // Training forward passes computed the terms with their gradients; a forward pass without gradients left the
        // operands, from which the values follow block by block; maps computed in full take the reference's formulas.
        if (maps.Terms is { } terms)
        {
            return (terms.First, terms.Second, terms.Entropy);
        }

        if (maps.IsTiled)
        {
            using var noGrad = no_grad();
            var x = maps.Operands;
            var (_, symmetric, aLogA) = TiledAttention.OutputAndTerms(x, withOutput: false);
            var count = (double)(x.Batch * x.Heads * x.Length);
            var value = symmetric / count;
            return (value, value, aLogA / -count);
        }

        var a = maps.Attention;
        var p = NormalisePrior(maps.Prior);
        var pDetached = p.detach();
        var aDetached = a.detach();
        return (
            KlDivergence(pDetached, a).mean() + KlDivergence(a, pDetached).mean(),
            KlDivergence(p, aDetached).mean() + KlDivergence(aDetached, p).mean(),
            Entropy(a).mean());
    }
}

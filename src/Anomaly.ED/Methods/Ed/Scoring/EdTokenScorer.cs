using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Methods.Ed.Training;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Scoring;

/// <summary>
/// Test-time per-token scores of one level, as the reference trainer computes them before reshaping and upsampling.
/// For a batch of several images every image is scored on its own (the reference runs with batch 1 and takes the max
/// of the inter score over the whole tensor; here that max is taken per image, which is the same for batch 1).
/// </summary>
internal static class EdTokenScorer
{
    /// <summary>Scores the tokens of a batch from the network output (eval mode, normally under <c>no_grad</c>).</summary>
    /// <param name="output">The network output for <paramref name="tokens"/>.</param>
    /// <param name="tokens">Input tokens X (B, L, C).</param>
    /// <param name="temperature">Multiplies every KL term (the reference uses 1).</param>
    /// <param name="computeIntra">Whether the intra scores are computed (when the output has the branch); skipping them saves their KL terms when the final score does not use them.</param>
    /// <param name="computeInter">Whether the inter scores are computed (when the output has the branch).</param>
    /// <returns>The scores (the caller disposes them); <see cref="EdTokenScores.Final"/> is reconstruction times inter, else times intra, else reconstruction, over the branches computed.</returns>
    /// <exception cref="ArgumentException">The shapes of output and tokens differ.</exception>
    public static EdTokenScores Compute(EdLevelOutput output, Tensor tokens, double temperature = 1.0, bool computeIntra = true, bool computeInter = true)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.RequireTokensShape(tokens);

        using var scope = NewDisposeScope();
        var rec = ReconstructionScore(tokens, output.Reconstruction);

        Tensor? intraCorrs = null, interCorrs = null, intra = null, inter = null;
        if (computeIntra && output.HasIntra)
        {
            intraCorrs = Correlations(output.Intra, temperature);
            intra = (-intraCorrs).softmax(-1);
        }

        if (computeInter && output.HasInter)
        {
            interCorrs = Correlations(output.Inter, temperature);
            var s = (-interCorrs).softmax(-1);
            inter = s.amax([-1], keepdim: true) - s;
        }

        var final = inter is not null ? rec * inter : intra is not null ? rec * intra : rec;
        return new EdTokenScores
        {
            Reconstruction = rec,
            IntraCorrelations = intraCorrs,
            InterCorrelations = interCorrs,
            Intra = intra,
            Inter = inter,
            Final = final,
        }.MoveToOuterDisposeScope();
    }

    /// <summary>Reconstruction score per token: mean over channels of (x - out)^2, + 1, - cos(x, out) (eps 1e-8).</summary>
    /// <param name="tokens">Input tokens (B, L, C).</param>
    /// <param name="reconstruction">Reconstructed tokens (B, L, C).</param>
    /// <returns>(B, L).</returns>
    public static Tensor ReconstructionScore(Tensor tokens, Tensor reconstruction)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(reconstruction);
        using var scope = NewDisposeScope();
        var difference = tokens - reconstruction;
        var squared = (difference * difference).mean([-1]);
        var cosine = nn.functional.cosine_similarity(tokens, reconstruction, dim: -1, eps: 1e-8);
        return (squared + 1 - cosine).MoveToOuterDisposeScope();
    }

    private static Tensor Correlations(IReadOnlyList<AttentionMaps> layers, double temperature)
    {
        Tensor? sum = null;
        foreach (var maps in layers)
        {
            var corr = LayerCorrelations(maps) * temperature;
            sum = sum is null ? corr : sum + corr;
        }

        return sum! / layers.Count;
    }

    // Per token kl(A, P) + kl(P, A): block by block from the network's operands, or from maps computed in full.
    private static Tensor LayerCorrelations(AttentionMaps maps)
    {
        if (maps.IsTiled)
        {
            return TiledAttention.Correlations(maps.Operands);
        }

        var p = EdObjective.NormalisePrior(maps.Prior);
        return EdObjective.KlDivergence(maps.Attention, p) + EdObjective.KlDivergence(p, maps.Attention);
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Network;

/// <summary>
/// Difference-aware attention with a Gaussian target prior (the reference's `Attention2D`): multi-head attention whose
/// queries also predict, per token and head, two widths that define a Gaussian prior over the token grid.
/// Used for the intra branch (`self_attention`, keys = queries) and the inter branch (`cross_attention`, keys = the
/// embedded reference tokens, which may have batch size 1 and are then broadcast over the batch).
/// </summary>
internal sealed class Attention2D : nn.Module<Tensor, Tensor, AttentionOutput>
{
    private readonly int heads;
    private readonly int tokenCount;
    private readonly double fixedScale;
    private readonly bool useOutProjection;
    private readonly bool computeMaps;

    private readonly Parameter? scale_factor;
    private readonly Parameter? attention_biases;
    private readonly Tensor? attention_bias_idxs;
    private readonly Linear query_projection;
    private readonly Linear key_projection;
    private readonly Linear value_projection;
    private readonly Linear sigma_projection;
    private readonly Linear out_projection;
    private readonly Dropout dropout;
    private readonly ModuleConstant token_rows;
    private readonly ModuleConstant token_columns;

    /// <summary>Creates the attention for one branch of one layer.</summary>
    /// <param name="options">The level's options (validated by the caller).</param>
    /// <param name="computeMaps">Whether the attention map and prior are produced (false only when both branches are off).</param>
    public Attention2D(EdLevelOptions options, bool computeMaps = true)
        : base(nameof(Attention2D))
    {
        ArgumentNullException.ThrowIfNull(options);
        var d = options.ModelDimension;
        heads = options.Heads;
        tokenCount = options.TokenCount;
        useOutProjection = options.UseOutProjection;
        this.computeMaps = computeMaps;
        fixedScale = 1.0 / Math.Sqrt(d / heads);

        if (options.Scale == AttentionScaleKind.Learnable)
        {
            scale_factor = nn.Parameter(tensor((float)fixedScale));
        }

        if (options.RelativePositionBias)
        {
            attention_biases = nn.Parameter(zeros(heads, tokenCount));
            attention_bias_idxs = GridGeometry.RelativeOffsetIndex(options.GridHeight, options.GridWidth);
        }

        query_projection = nn.Linear(d, d);
        key_projection = nn.Linear(d, d);
        value_projection = nn.Linear(d, d);
        sigma_projection = nn.Linear(d, 2 * heads);
        out_projection = nn.Linear(d, d);
        dropout = nn.Dropout(options.Dropout);

        var (rows, columns) = GridGeometry.TokenCoordinates(options.GridHeight, options.GridWidth);
        token_rows = new ModuleConstant(rows);
        token_columns = new ModuleConstant(columns);
        RegisterComponents();
    }

    /// <summary>The sigma projection, exposed for diagnostics (its output is the raw width logits before the transform).</summary>
    internal Linear SigmaProjection => sigma_projection;

    /// <summary>Attends from <paramref name="query"/> (B, L, d_model) to <paramref name="keyValue"/> (B or 1, L, d_model).</summary>
    /// <param name="query">Query tokens (B, L, d_model).</param>
    /// <param name="keyValue">Key and value tokens (B, L, d_model), or (1, L, d_model) to share them across the batch.</param>
    /// <returns>The output (B, L, d_model) and, when maps are computed, the attention (B, H, L, L) and the prior (B, H, L, L).</returns>
    public override AttentionOutput forward(Tensor query, Tensor keyValue)
    {
        using var scope = NewDisposeScope();
        var batch = query.shape[0];
        var length = query.shape[1];
        var keyBatch = keyValue.shape[0];
        var keyLength = keyValue.shape[1];

        var q = query_projection.call(query).view(batch, length, heads, -1).permute(0, 2, 1, 3);          // (B, H, L, E)
        var k = key_projection.call(keyValue).view(keyBatch, keyLength, heads, -1).permute(0, 2, 3, 1);   // (Bk, H, E, S)
        var v = value_projection.call(keyValue).view(keyBatch, keyLength, heads, -1).permute(0, 2, 1, 3); // (Bk, H, S, E)

        var scores = q.matmul(k);
        scores = scale_factor is null ? scores * fixedScale : scale_factor * scores;
        if (attention_biases is not null)
        {
            scores = scores + attention_biases.index_select(1, attention_bias_idxs!.flatten()).view(heads, length, keyLength);
        }

        var attention = dropout.call(scores.softmax(-1));
        var output = attention.matmul(v).permute(0, 2, 1, 3).reshape(batch, length, -1);

        // The reference evaluates out_projection and discards the result; parity mode skips it altogether.
        if (useOutProjection)
        {
            output = out_projection.call(output);
        }

        if (!computeMaps)
        {
            return new AttentionOutput(output.MoveToOuterDisposeScope(), null, null);
        }

        var prior = GaussianPrior(sigma_projection.call(query), heads, token_rows.Value, token_columns.Value);
        return new AttentionOutput(output.MoveToOuterDisposeScope(), attention.MoveToOuterDisposeScope(), prior.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The unnormalised Gaussian prior (B, H, L, L) from the raw width logits s (B, L, 2H), in the reference's float order:
    /// sigma = 3^(sigmoid(5 s) + 1e-5) - 1; T = 1 / (2 pi sigma1 sigma2) * exp(-dy / (2 sigma1^2) - dx / (2 sigma2^2)).
    /// </summary>
    /// <param name="sigmaRaw">Raw logits (B, L, 2H); channel 2h+k is head h, component k (0: rows, 1: columns).</param>
    /// <param name="heads">H.</param>
    /// <param name="rows">Token rows (L).</param>
    /// <param name="columns">Token columns (L).</param>
    /// <returns>The prior (B, H, L, L).</returns>
    internal static Tensor GaussianPrior(Tensor sigmaRaw, int heads, Tensor rows, Tensor columns)
    {
        using var scope = NewDisposeScope();
        var batch = sigmaRaw.shape[0];
        var length = sigmaRaw.shape[1];
        var sigma = sigmaRaw.view(batch, length, heads, 2).transpose(1, 2);        // (B, H, L, 2)
        sigma = (sigma * 5).sigmoid() + 1e-5;
        sigma = tensor(3.0f, dtype: sigma.dtype, device: sigma.device).pow(sigma) - 1;
        var sigma1 = sigma.select(-1, 0).unsqueeze(-1);                            // (B, H, L, 1)
        var sigma2 = sigma.select(-1, 1).unsqueeze(-1);

        var distancesY = GridGeometry.PairwiseSquared(rows);
        var distancesX = GridGeometry.PairwiseSquared(columns);
        var normaliser = (sigma1 * (2 * Math.PI) * sigma2).reciprocal();
        var exponent = (-distancesY) / ((sigma1 * sigma1) * 2);
        if (is_grad_enabled() && sigmaRaw.requires_grad)
        {
            exponent = exponent - distancesX / ((sigma2 * sigma2) * 2);
            return (normaliser * exponent.exp()).MoveToOuterDisposeScope();
        }

        // Without autograd the (B, H, L, L) temporaries are reused in place: the same operations, fewer large allocations.
        exponent.sub_(distancesX / ((sigma2 * sigma2) * 2));
        return exponent.exp_().mul_(normaliser).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        token_rows.MoveTo(dtype, device);
        token_columns.MoveTo(dtype, device);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            token_rows.Dispose();
            token_columns.Dispose();
        }

        base.Dispose(disposing);
    }
}

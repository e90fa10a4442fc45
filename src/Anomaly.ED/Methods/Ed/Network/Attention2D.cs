using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

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
    private readonly double dropoutProbability;

    private readonly Parameter? scale_factor;
    private readonly Parameter? attention_biases;
    private readonly Tensor? attention_bias_idxs;
    private readonly Linear query_projection;
    private readonly Linear key_projection;
    private readonly Linear value_projection;
    private readonly Linear sigma_projection;
    private readonly Linear out_projection;
    private readonly Dropout dropout;
    private readonly ModuleConstant row_distances;
    private readonly ModuleConstant column_distances;

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
        dropoutProbability = options.Dropout;
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

        var (rowDistances, columnDistances) = GridGeometry.AxisDistances(options.GridHeight, options.GridWidth);
        row_distances = new ModuleConstant(rowDistances);
        column_distances = new ModuleConstant(columnDistances);
        RegisterComponents();
    }

    /// <summary>The sigma projection, exposed for diagnostics (its output is the raw width logits before the transform).</summary>
    internal Linear SigmaProjection => sigma_projection;

    /// <summary>Attends from <paramref name="query"/> (B, L, d_model) to <paramref name="keyValue"/> (B or 1, L, d_model).</summary>
    /// <param name="query">Query tokens (B, L, d_model).</param>
    /// <param name="keyValue">Key and value tokens (B, L, d_model), or (1, L, d_model) to share them across the batch.</param>
    /// <returns>
    /// The output (B, L, d_model) and, when maps are computed, the attention (B, H, L, L) and the prior (B, H, L, L),
    /// which are built only when read: the output, scores and losses are computed in blocks of query rows.
    /// </returns>
    public override AttentionOutput forward(Tensor query, Tensor keyValue)
    {
        using var scope = NewDisposeScope();
        var batch = query.shape[0];
        var length = query.shape[1];
        var keyBatch = keyValue.shape[0];
        var keyLength = keyValue.shape[1];

        var q = query_projection.call(query).view(batch, length, heads, -1).permute(0, 2, 1, 3);          // (B, H, L, E)
        var k = key_projection.call(keyValue).view(keyBatch, keyLength, heads, -1).permute(0, 2, 1, 3);   // (Bk, H, S, E)
        var v = value_projection.call(keyValue).view(keyBatch, keyLength, heads, -1).permute(0, 2, 1, 3); // (Bk, H, S, E)
        Tensor? sigma1 = null, sigma2 = null;
        if (computeMaps)
        {
            (sigma1, sigma2) = PriorWidths(sigma_projection.call(query), heads);
        }

        var operands = new AttentionOperands
        {
            Query = scale_factor is null ? q * fixedScale : q * scale_factor,
            Key = k,
            Value = v,
            Sigma1 = sigma1,
            Sigma2 = sigma2,
            RowDistances = row_distances.Value.alias(),
            ColumnDistances = column_distances.Value.alias(),
            Biases = attention_biases?.alias(),
            BiasIndex = attention_bias_idxs?.alias(),
        };

        Tensor output;
        AttentionMaps? maps = null;
        if (training && dropoutProbability > 0)
        {
            // Dropout draws a mask over the whole map, which the output and the losses must both see: built in full.
            var attention = dropout.call(TiledAttention.AttentionBlock(operands, 0, length));
            output = attention.matmul(v);
            maps = computeMaps ? new AttentionMaps(attention, AttentionMaps.UnnormalisedPrior(operands)) : null;
        }
        else if (!computeMaps)
        {
            output = TiledAttention.Output(operands);
        }
        else if (is_grad_enabled())
        {
            var (result, first, second, entropy) = TiledAttentionFunction.Apply(operands);
            output = result;
            maps = new AttentionMaps(operands, new AssociationTerms(first, second, entropy));
        }
        else
        {
            output = TiledAttention.Output(operands);
            maps = new AttentionMaps(operands, null);
        }

        output = output.permute(0, 2, 1, 3).reshape(batch, length, -1);

        // The reference evaluates out_projection and discards the result; parity mode skips it altogether.
        if (useOutProjection)
        {
            output = out_projection.call(output);
        }

        maps?.MoveToOuterDisposeScope();
        return new AttentionOutput(output.MoveToOuterDisposeScope(), maps);
    }

    /// <summary>
    /// The prior widths sigma = 3^(sigmoid(5 s) + 1e-5) - 1 from the raw logits s (B, L, 2H), in the reference's float
    /// order; channel 2h+k is head h, component k (0: rows, 1: columns).
    /// </summary>
    /// <param name="sigmaRaw">Raw logits (B, L, 2H).</param>
    /// <param name="heads">H.</param>
    /// <returns>sigma1 (rows) and sigma2 (columns), each (B, H, L).</returns>
    internal static (Tensor Sigma1, Tensor Sigma2) PriorWidths(Tensor sigmaRaw, int heads)
    {
        using var scope = NewDisposeScope();
        var batch = sigmaRaw.shape[0];
        var length = sigmaRaw.shape[1];
        var sigma = sigmaRaw.view(batch, length, heads, 2).transpose(1, 2);        // (B, H, L, 2)

        // 3^x - 1 cancels for small x: in a reduced type 3^(1e-5) rounds to 1 and the width to 0, so widths are float32.
        if (Runtime.ReducedPrecision.IsReduced(sigma.dtype))
        {
            sigma = sigma.to(ScalarType.Float32);
        }

        sigma = (sigma * 5).sigmoid() + 1e-5;
        sigma = tensor(3.0f, dtype: sigma.dtype, device: sigma.device).pow(sigma) - 1;
        return (sigma.select(-1, 0).MoveToOuterDisposeScope(), sigma.select(-1, 1).MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        // Squared grid distances are integers up to (G - 1)^2, exact in float32 but not in bfloat16 (8 significant bits):
        // a reduced copy keeps them float32, and the prior is computed in float32 from them when scored.
        var tableType = Runtime.ReducedPrecision.IsReduced(dtype) ? null : dtype;
        row_distances.MoveTo(tableType, device);
        column_distances.MoveTo(tableType, device);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            row_distances.Dispose();
            column_distances.Dispose();
        }

        base.Dispose(disposing);
    }
}

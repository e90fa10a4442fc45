using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// One encoder layer: intra branch (self-attention) and inter branch (cross-attention to the reference tokens), fused
/// (ED: <see cref="FeatureFusion"/>; FOD: difference), then y = norm1(fused) and out = norm2(y + ffn(y)).
/// With one branch off the other one alone gives x + branch; with both off a self-attention without maps is used.
/// </summary>
internal sealed class EncoderLayer : nn.Module<Tensor, Tensor?, EncoderLayerOutput>
{
    private readonly bool withIntra;
    private readonly bool withInter;

    private readonly Attention2D self_attention;
    private readonly Attention2D cross_attention;
    private readonly nn.Module<Tensor, Tensor> ffn;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
    private readonly Dropout dropout;
    private readonly FeatureFusion? fusion;

    /// <summary>Creates a layer.</summary>
    /// <param name="options">The level's options (validated by the caller).</param>
    public EncoderLayer(EdLevelOptions options)
        : base(nameof(EncoderLayer))
    {
        ArgumentNullException.ThrowIfNull(options);
        withIntra = options.WithIntra;
        withInter = options.WithInter;

        self_attention = new Attention2D(options, computeMaps: withIntra || withInter);
        cross_attention = new Attention2D(options);
        ffn = options.FeedForward == FeedForwardKind.ConvolutionalMedian
            ? new ConvolutionalFeedForward(options)
            : new PlainFeedForward(options);
        norm1 = nn.LayerNorm(options.ModelDimension, eps: 1e-5);
        norm2 = nn.LayerNorm(options.ModelDimension, eps: 1e-5);
        dropout = nn.Dropout(options.Dropout);
        if (options.Fusion == FusionKind.Concatenate)
        {
            fusion = new FeatureFusion(options.ModelDimension, options.FeedForwardDimension);
        }

        RegisterComponents();
    }

    internal Attention2D SelfAttention => self_attention;

    internal Attention2D CrossAttention => cross_attention;

    internal FeatureFusion? Fusion => fusion;

    internal LayerNorm Norm1 => norm1;

    internal nn.Module<Tensor, Tensor> FeedForward => ffn;

    /// <summary>Runs the layer.</summary>
    /// <param name="input">Layer input x (B, L, d_model).</param>
    /// <param name="reference">Embedded reference tokens (B or 1, L, d_model); required when the inter branch is on.</param>
    /// <returns>The layer output and the maps of the active branches.</returns>
    public override EncoderLayerOutput forward(Tensor input, Tensor? reference)
    {
        using var scope = NewDisposeScope();
        AttentionOutput? intra = null;
        AttentionOutput? inter = null;
        Tensor combined;
        if (withInter)
        {
            ArgumentNullException.ThrowIfNull(reference);
            inter = cross_attention.call(input, reference);
            var interResult = input + dropout.call(inter.Output);
            if (withIntra)
            {
                intra = self_attention.call(input, input);
                var intraResult = input + dropout.call(intra.Output);
                combined = fusion is not null ? fusion.call(intraResult, interResult) : intraResult - interResult;
            }
            else
            {
                combined = interResult;
            }
        }
        else
        {
            var self = self_attention.call(input, input);
            intra = withIntra ? self : null;
            combined = input + dropout.call(self.Output);
        }

        var y = norm1.call(combined);
        var output = norm2.call(y + ffn.call(y));
        var result = new EncoderLayerOutput(output, intra?.Maps, inter?.Maps);
        result.MoveToOuterDisposeScope();
        return result;
    }
}

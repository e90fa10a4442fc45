using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// ED's feed-forward block (`ffn`): fc1 (d -> F), depthwise 3x3 convolution on the token grid, exact GELU, then
/// z + scaling * median over the tokens (per sample and channel, the lower middle value as torch.median), dropout,
/// fc2 (F -> d), dropout.
/// </summary>
internal sealed class ConvolutionalFeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly DepthwiseConvolution dwconv;
    private readonly Parameter scaling;
    private readonly Linear fc2;
    private readonly Dropout drop;

    /// <summary>Creates the block.</summary>
    /// <param name="options">The level's options (validated by the caller).</param>
    public ConvolutionalFeedForward(EdLevelOptions options)
        : base(nameof(ConvolutionalFeedForward))
    {
        ArgumentNullException.ThrowIfNull(options);
        var hidden = options.FeedForwardDimension;
        fc1 = nn.Linear(options.ModelDimension, hidden);
        dwconv = new DepthwiseConvolution(hidden, options.GridHeight, options.GridWidth);
        scaling = nn.Parameter(ones(hidden));
        fc2 = nn.Linear(hidden, options.ModelDimension);
        drop = nn.Dropout(options.Dropout);
        RegisterComponents();
    }

    /// <summary>Applies the block to tokens (B, L, d_model).</summary>
    /// <param name="input">Tokens (B, L, d_model).</param>
    /// <returns>Tokens (B, L, d_model).</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var z = nn.functional.gelu(dwconv.call(fc1.call(input)));

        // torch.median(dim) returns the lower middle value (sorted index (L-1)/2), i.e. the ((L-1)/2 + 1)-th smallest,
        // and sends the gradient to that element only; kthvalue does both.
        var length = z.shape[1];
        var (median, _) = z.kthvalue((length - 1) / 2 + 1, 1, keepdim: true);
        z = z + scaling * median;
        return drop.call(fc2.call(drop.call(z))).MoveToOuterDisposeScope();
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>FOD's feed-forward block (`ffn`): fc1 (d -> F), exact GELU, fc2 (F -> d), dropout.</summary>
internal sealed class PlainFeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Dropout drop;

    /// <summary>Creates the block.</summary>
    /// <param name="options">The level's options (validated by the caller).</param>
    public PlainFeedForward(EdLevelOptions options)
        : base(nameof(PlainFeedForward))
    {
        ArgumentNullException.ThrowIfNull(options);
        fc1 = nn.Linear(options.ModelDimension, options.FeedForwardDimension);
        fc2 = nn.Linear(options.FeedForwardDimension, options.ModelDimension);
        drop = nn.Dropout(options.Dropout);
        RegisterComponents();
    }

    /// <summary>Applies the block to tokens (B, L, d_model).</summary>
    /// <param name="input">Tokens (B, L, d_model).</param>
    /// <returns>Tokens (B, L, d_model).</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return drop.call(fc2.call(nn.functional.gelu(fc1.call(input)))).MoveToOuterDisposeScope();
    }
}

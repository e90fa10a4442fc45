using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// Token embedding of one level: the 1x1 projection C -> d_model (`project_embedding`) plus the fixed 2-D sine/cosine
/// positional table of the grid, then dropout. The table is not part of the state dict (as in the reference).
/// </summary>
internal sealed class Embedding2D : nn.Module<Tensor, Tensor>
{
    private readonly ProjectEmbedding project_embedding;
    private readonly Dropout dropout;
    private readonly ModuleConstant pos_embed;

    /// <summary>Creates the embedding for an H x W grid.</summary>
    /// <param name="inputChannels">Token size C.</param>
    /// <param name="modelDimension">d_model, a multiple of 4.</param>
    /// <param name="gridHeight">Grid rows.</param>
    /// <param name="gridWidth">Grid columns.</param>
    /// <param name="dropoutProbability">Dropout after the sum.</param>
    public Embedding2D(int inputChannels, int modelDimension, int gridHeight, int gridWidth, double dropoutProbability)
        : base(nameof(Embedding2D))
    {
        project_embedding = new ProjectEmbedding(inputChannels, modelDimension);
        dropout = nn.Dropout(dropoutProbability);
        pos_embed = new ModuleConstant(GridGeometry.PositionalTokens(modelDimension, gridHeight, gridWidth));
        RegisterComponents();
    }

    /// <summary>The positional table per token, (L, d_model), on the module's device.</summary>
    public Tensor PositionalTokens => pos_embed.Value;

    /// <summary>Embeds tokens (B, L, C) into (B, L, d_model).</summary>
    /// <param name="input">Tokens (B, L, C) in grid order.</param>
    /// <returns>Embedded tokens (B, L, d_model).</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var projected = project_embedding.call(input);
        return dropout.call(projected + pos_embed.Value).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        pos_embed.MoveTo(dtype, device);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            pos_embed.Dispose();
        }

        base.Dispose(disposing);
    }
}

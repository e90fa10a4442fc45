using System.Globalization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// The network of one feature level (the reference classes `ED` and `FOD`): embeds the tokens X (B, L, C) and the
/// level's reference features, runs the encoder and projects back to C channels. Its state dict has exactly the
/// reference names (`embedding.*`, `ref_embedding.*`, `encoder.encode_layers.{l}.*`, `encoder.norm.*`, `projection.*`).
/// </summary>
/// <remarks>
/// The reference features are held as a fixed tensor (1, L, C), like a non-persistent buffer, that follows <c>.to(device)</c> but is not part of
/// the state dict, so reference checkpoints load unchanged; the model file stores them separately
/// (see <see cref="GetReferenceFeatures"/> and <see cref="SetReferenceFeatures"/>). They are broadcast over the batch.
/// </remarks>
internal sealed class EdLevelNetwork : nn.Module<Tensor, EdLevelOutput>
{
    private readonly EdLevelOptions options;
    private readonly Embedding2D embedding;
    private readonly Embedding2D? ref_embedding;
    private readonly Encoder encoder;
    private readonly Linear projection;
    private readonly ModuleConstant ref_feats;
    private bool hasReference;

    /// <summary>Creates a level network with PyTorch's default initialisation (and kaiming-normal embeddings).</summary>
    /// <param name="options">The configuration; it is validated and copied.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public EdLevelNetwork(EdLevelOptions options)
        : base(nameof(EdLevelNetwork))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options.Clone();
        var o = this.options;

        embedding = new Embedding2D(o.InputChannels, o.ModelDimension, o.GridHeight, o.GridWidth, o.Dropout);
        if (o.WithInter)
        {
            ref_embedding = new Embedding2D(o.InputChannels, o.ModelDimension, o.GridHeight, o.GridWidth, o.Dropout);
        }

        encoder = new Encoder(o);
        projection = nn.Linear(o.ModelDimension, o.InputChannels);
        ref_feats = new ModuleConstant(zeros(1, o.TokenCount, o.InputChannels));
        RegisterComponents();
    }

    /// <summary>A copy of the options this network was built with.</summary>
    public EdLevelOptions Options => options.Clone();

    /// <summary>Whether reference features have been set (needed when the inter branch is on).</summary>
    public bool HasReferenceFeatures => hasReference;

    internal Embedding2D Embedding => embedding;

    internal Embedding2D? ReferenceEmbedding => ref_embedding;

    internal Encoder Encoder => encoder;

    /// <summary>The reference tokens (1, L, C) on the network's device, as used by the inter branch.</summary>
    internal Tensor ReferenceTokens => ref_feats.Value;

    /// <summary>
    /// Sets the level's reference features R (C, L): the mean over the training images of the avg-pooled feature map,
    /// flattened row-major over the grid (see <see cref="ReferenceFeatures"/>). They are copied to the
    /// network's device and type.
    /// </summary>
    /// <param name="features">Reference features (C, L).</param>
    /// <exception cref="ArgumentException">The shape is not (C, L) of this level.</exception>
    public void SetReferenceFeatures(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.ndim != 2 || features.shape[0] != options.InputChannels || features.shape[1] != options.TokenCount)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Reference features must be (C, L) = ({options.InputChannels}, {options.TokenCount}) for this level, but the tensor is ({string.Join(", ", features.shape)})."),
                nameof(features));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        ref_feats.Value.copy_(features.t().unsqueeze(0));
        hasReference = true;
    }

    /// <summary>A copy of the reference features (C, L) on the CPU, for saving with the model.</summary>
    /// <returns>A new float tensor (C, L).</returns>
    /// <exception cref="InvalidOperationException">No reference features were set.</exception>
    public Tensor GetReferenceFeatures()
    {
        if (!hasReference)
        {
            throw new InvalidOperationException("The reference features of this level have not been set; call SetReferenceFeatures first.");
        }

        using var scope = NewDisposeScope();
        return ref_feats.Value.squeeze(0).t().cpu().contiguous().clone().MoveToOuterDisposeScope();
    }

    /// <summary>Reconstructs tokens X (B, L, C) and returns the per-layer attention maps and priors (built only when read).</summary>
    /// <param name="input">Tokens (B, L, C): the avg-pooled feature map permuted to (B, H, W, C) and flattened.</param>
    /// <returns>The reconstruction and maps; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">The input is not (B, L, C) of this level.</exception>
    /// <exception cref="InvalidOperationException">The inter branch is on and no reference features were set.</exception>
    public override EdLevelOutput forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.ndim != 3 || input.shape[1] != options.TokenCount || input.shape[2] != options.InputChannels)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The network input must be tokens (B, L, C) = (B, {options.TokenCount}, {options.InputChannels}) for a {options.GridHeight}x{options.GridWidth} grid, but it is ({string.Join(", ", input.shape)})."),
                nameof(input));
        }

        if (options.WithInter && !hasReference)
        {
            throw new InvalidOperationException("The inter branch needs the level's reference features; call SetReferenceFeatures before the forward pass.");
        }

        using var scope = NewDisposeScope();
        var embedded = embedding.call(input);
        var reference = ref_embedding?.call(ref_feats.Value);
        var (encoded, layers) = encoder.call(embedded, reference);
        var reconstruction = projection.call(encoded);
        var result = new EdLevelOutput(
            reconstruction,
            layers.Where(l => l.Intra is not null).Select(l => l.Intra!).ToArray(),
            layers.Where(l => l.Inter is not null).Select(l => l.Inter!).ToArray());
        return result.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        ref_feats.MoveTo(dtype, device);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ref_feats.Dispose();
        }

        base.Dispose(disposing);
    }
}

using Anomaly.ED.Training;

namespace Anomaly.ED;

/// <summary>Every setting of an ED detector, bindable from configuration; the defaults reproduce the reference exactly (see <see cref="EdDefaults"/>).</summary>
/// <remarks>Validated by <see cref="EdOptionsValidator"/> when a detector is built or, through dependency injection, at start.</remarks>
public sealed class EdOptions
{
    /// <summary>The backbone architecture name (see <c>BackboneCatalog.Names</c>).</summary>
    /// <value>The default value is <c>"wide_resnet50_2"</c>.</value>
    public string Backbone { get; set; } = EdDefaults.Backbone;

    /// <summary>A local safetensors file with the backbone's weights (torchvision or timm names); null to use <see cref="PretrainedCheckpoint"/> or untrained weights.</summary>
    public string? BackboneWeightsPath { get; set; }

    /// <summary>A pretrained checkpoint id from the catalog (e.g. <c>"wide_resnet50_2.tv_in1k"</c>, see <c>PretrainedCatalog.Names</c>), looked up in the weights cache; null for none.</summary>
    public string? PretrainedCheckpoint { get; set; }

    /// <summary>Whether a missing <see cref="PretrainedCheckpoint"/> may be downloaded; otherwise only the cache is used.</summary>
    /// <value>The default value is <see langword="false"/>: no network call unless asked.</value>
    public bool AllowDownload { get; set; }

    /// <summary>The folder of the pretrained-weights cache; null for the default under the user's cache directory.</summary>
    public string? WeightsCacheDirectory { get; set; }

    /// <summary>Whether running with untrained (randomly initialised) backbone weights is allowed when no weights are given.</summary>
    /// <value>The default value is <see langword="false"/>: a detector without backbone weights is refused, because its accuracy is poor.</value>
    public bool AllowUntrainedBackbone { get; set; }

    /// <summary>The backbone stages read by the levels, shallow to deep.</summary>
    /// <value>The default value is <c>["layer2", "layer3"]</c>.</value>
    public IList<string> Levels { get; set; } = [.. EdDefaults.Levels];

    /// <summary>d_model of each level's transformer, one per entry of <see cref="Levels"/>.</summary>
    /// <value>The default value is <c>[256, 512]</c>.</value>
    public IList<int> ModelDimensions { get; set; } = [.. EdDefaults.ModelDimensions];

    /// <summary>Input image height in pixels; images are resized to it.</summary>
    /// <value>The default value is 256.</value>
    public int ImageHeight { get; set; } = EdDefaults.ImageSize;

    /// <summary>Input image width in pixels; images are resized to it.</summary>
    /// <value>The default value is 256.</value>
    public int ImageWidth { get; set; } = EdDefaults.ImageSize;

    /// <summary>Whether images keep their aspect ratio (shorter side resized, then centre crop), as the reference's BTAD and MVTec3D readers; otherwise both sides are resized, as its MVTec AD reader.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool KeepAspectRatio { get; set; }

    /// <summary>The network variant.</summary>
    /// <value>The default value is <see cref="EdVariant.Ed"/>.</value>
    public EdVariant Variant { get; set; } = EdVariant.Ed;

    /// <summary>Attention heads per branch.</summary>
    /// <value>The default value is 8.</value>
    public int Heads { get; set; } = EdDefaults.Heads;

    /// <summary>Encoder layers per level.</summary>
    /// <value>The default value is 3.</value>
    public int Layers { get; set; } = EdDefaults.Layers;

    /// <summary>Feed-forward width as a multiple of d_model.</summary>
    /// <value>The default value is 4.</value>
    public int FeedForwardScale { get; set; } = EdDefaults.FeedForwardScale;

    /// <summary>Dropout probability inside the networks, in [0, 1).</summary>
    /// <value>The default value is 0.</value>
    public double Dropout { get; set; }

    /// <summary>Whether the intra-image branch (self-attention with its Gaussian prior) is used.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool WithIntra { get; set; } = true;

    /// <summary>Whether the inter-image branch (cross-attention to the reference features) is used.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool WithInter { get; set; } = true;

    /// <summary>Whether attention adds a learned relative-position bias.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool RelativePositionBias { get; set; }

    /// <summary>Whether the attention output projection is applied; the reference computes it and discards the result.</summary>
    /// <value>The default value is <see langword="false"/> (parity with the reference).</value>
    public bool UseOutProjection { get; set; }

    /// <summary>How each level's token score is formed.</summary>
    /// <value>The default value is <see cref="AnomalyScoreKind.ReconstructionTimesInter"/>.</value>
    public AnomalyScoreKind Score { get; set; } = AnomalyScoreKind.ReconstructionTimesInter;

    /// <summary>Standard deviation of the Gaussian smoothing of anomaly maps, in pixels; 0 turns smoothing off.</summary>
    /// <value>The default value is 4.</value>
    public double SmoothingSigma { get; set; } = EdDefaults.SmoothingSigma;

    /// <summary>Training epochs.</summary>
    /// <value>The default value is 100.</value>
    public int Epochs { get; set; } = EdDefaults.Epochs;

    /// <summary>Training batch size.</summary>
    /// <value>The default value is 1.</value>
    public int BatchSize { get; set; } = EdDefaults.BatchSize;

    /// <summary>Adam learning rate.</summary>
    /// <value>The default value is 1e-4.</value>
    public double LearningRate { get; set; } = EdDefaults.LearningRate;

    /// <summary>Weight of the correlation terms of the minimax objective.</summary>
    /// <value>The default value is 0.5.</value>
    public double Lambda1 { get; set; } = EdDefaults.Lambda1;

    /// <summary>Weight of the entropy terms of the minimax objective.</summary>
    /// <value>The default value is 0.5.</value>
    public double Lambda2 { get; set; } = EdDefaults.Lambda2;

    /// <summary>How a batch updates the levels: one Adam step per level as the reference trainer, or one joint step.</summary>
    /// <value>The default value is <see cref="EdStepMode.PerLevel"/>.</value>
    public EdStepMode StepMode { get; set; } = EdStepMode.PerLevel;

    /// <summary>Seed of parameter initialisation and shuffling; training on CPU with the same seed is reproducible.</summary>
    /// <value>The default value is 3407.</value>
    public int Seed { get; set; } = EdDefaults.Seed;

    /// <summary>The compute device: <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c>.</summary>
    /// <value>The default value is <c>"cpu"</c>.</value>
    public string Device { get; set; } = "cpu";

    /// <summary>Returns a deep copy of these options.</summary>
    public EdOptions Clone()
    {
        var copy = (EdOptions)MemberwiseClone();
        copy.Levels = [.. Levels];
        copy.ModelDimensions = [.. ModelDimensions];
        return copy;
    }
}

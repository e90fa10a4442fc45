namespace Anomaly.ED.Methods.Ed;

/// <summary>The per-level transformer of the ED and FOD methods; saved in the model file.</summary>
public sealed class EdNetworkOptions
{
    /// <summary>d_model of each level's transformer, one per entry of <see cref="BackboneOptions.Levels"/>; null for the reference's.</summary>
    /// <value>The default value is <see langword="null"/>: <c>[256, 512]</c>, the reference's for its two levels.</value>
    public IList<int>? ModelDimensions { get; set; }

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

    internal EdNetworkOptions Clone()
    {
        var copy = (EdNetworkOptions)MemberwiseClone();
        copy.ModelDimensions = ModelDimensions is null ? null : [.. ModelDimensions];
        return copy;
    }
}

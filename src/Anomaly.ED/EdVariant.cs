namespace Anomaly.ED;

/// <summary>Which published network the per-level transformers follow.</summary>
public enum EdVariant
{
    /// <summary>ED ("Emphasize Differences"): concatenating D2Fusion, convolutional feed-forward with median scaling, learnable attention scale.</summary>
    Ed,

    /// <summary>FOD ("Focus the Discrepancy", ICCV 2023): residual difference fusion, plain feed-forward, fixed attention scale.</summary>
    Fod,
}

namespace Anomaly.ED;

/// <summary>The anomaly-detection method a detector runs; every method is used through the same <c>EdDetector</c> calls.</summary>
public enum DetectorMethod
{
    /// <summary>ED ("Emphasize Differences"): per-level transformers trained on normal images, concatenating D2Fusion, convolutional feed-forward with median scaling, learnable attention scale.</summary>
    Ed,

    /// <summary>FOD ("Focus the Discrepancy", ICCV 2023): ED's predecessor, with residual difference fusion, plain feed-forward and a fixed attention scale.</summary>
    Fod,

    /// <summary>HETMM ("Hard-normal Example-aware Template Mutual Matching", IJCV 2024): training-free matching of the image's features against templates of normal images; normal images can be added to a built detector.</summary>
    Hetmm,
}

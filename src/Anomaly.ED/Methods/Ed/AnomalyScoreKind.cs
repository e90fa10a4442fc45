namespace Anomaly.ED.Methods.Ed;

/// <summary>How the per-token anomaly score of a level is formed from the network's outputs.</summary>
public enum AnomalyScoreKind
{
    /// <summary>Reconstruction error times the inter-correlation score: the reference's choice when both branches are on.</summary>
    ReconstructionTimesInter,

    /// <summary>Reconstruction error times the intra-correlation score: the reference's choice with the intra branch only.</summary>
    ReconstructionTimesIntra,

    /// <summary>Reconstruction error alone (mean squared error plus cosine distance per token).</summary>
    Reconstruction,
}

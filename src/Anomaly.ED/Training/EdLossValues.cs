namespace Anomaly.ED.Training;

/// <summary>A snapshot of one level's losses as numbers (null for the terms of a branch that is off).</summary>
/// <param name="Reconstruction">Reconstruction loss.</param>
/// <param name="Intra1">Intra association loss, attention side.</param>
/// <param name="Intra2">Intra association loss, prior side.</param>
/// <param name="IntraEntropy">Self-attention entropy.</param>
/// <param name="Inter1">Inter association loss, attention side.</param>
/// <param name="Inter2">Inter association loss, prior side.</param>
/// <param name="InterEntropy">Cross-attention entropy.</param>
/// <param name="Loss1">First minimax loss.</param>
/// <param name="Loss2">Second minimax loss.</param>
public sealed record EdLossValues(
    double Reconstruction,
    double? Intra1,
    double? Intra2,
    double? IntraEntropy,
    double? Inter1,
    double? Inter2,
    double? InterEntropy,
    double Loss1,
    double? Loss2);

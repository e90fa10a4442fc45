namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>How an encoder layer combines its intra (self-attention) and inter (cross-attention) branches.</summary>
internal enum FusionKind
{
    /// <summary>ED's D2Fusion: Linear(2d -> F), ReLU, Linear(F -> d) over the concatenated branches (`fusion.fc.*`).</summary>
    Concatenate,

    /// <summary>FOD's residual fusion: (x + intra) - (x + inter); no parameters.</summary>
    Difference,
}

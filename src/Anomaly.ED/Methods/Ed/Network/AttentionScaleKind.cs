namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>How attention scores are scaled before the softmax.</summary>
internal enum AttentionScaleKind
{
    /// <summary>ED: a learnable 0-d parameter `scale_factor`, initialised to 1/sqrt(d_model / heads).</summary>
    Learnable,

    /// <summary>FOD: the constant 1/sqrt(d_model / heads); not a parameter.</summary>
    Fixed,
}

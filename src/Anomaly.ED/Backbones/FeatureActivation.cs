namespace Anomaly.ED.Backbones;

/// <summary>Which output of a stage's last residual block a feature extractor returns.</summary>
internal enum FeatureActivation
{
    /// <summary>The stage output after its final ReLU, as torchvision and timm return it (ED, FOD).</summary>
    PostRelu = 0,

    /// <summary>
    /// The residual sum of the stage's last block before its final ReLU (HETMM). The next stage still
    /// receives the activated tensor, so deeper stages are unchanged. The stem has no such output and
    /// is always returned activated.
    /// </summary>
    PreRelu = 1,
}

namespace Anomaly.ED.Backbones;

/// <summary>The residual block a ResNet is built from.</summary>
internal enum ResNetBlockKind
{
    /// <summary>Two 3x3 convolutions, expansion 1 (resnet18, resnet34).</summary>
    Basic = 0,

    /// <summary>1x1, 3x3 (carrying the stride, ResNet v1.5) and 1x1 convolutions, expansion 4 (resnet50 and deeper, wide ResNets).</summary>
    Bottleneck = 1,
}

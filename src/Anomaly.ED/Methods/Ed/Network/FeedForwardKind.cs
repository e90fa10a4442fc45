namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>The feed-forward block of an encoder layer.</summary>
internal enum FeedForwardKind
{
    /// <summary>ED: fc1, depthwise 3x3 convolution on the token grid, GELU, plus a learned multiple of the token median, fc2.</summary>
    ConvolutionalMedian,

    /// <summary>FOD: fc1, GELU, fc2.</summary>
    Plain,
}

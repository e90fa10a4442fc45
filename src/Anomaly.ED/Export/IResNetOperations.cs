namespace Anomaly.ED.Export;

/// <summary>
/// What <see cref="ResNetWalk"/> does at each step of a torchvision ResNet, so that one walk of the structure serves the
/// float ONNX graph, the int8 calibration run and the int8 graph.
/// </summary>
/// <typeparam name="TValue">What flows between the steps: a graph value's name, a tensor, a quantized value.</typeparam>
internal interface IResNetOperations<TValue>
{
    /// <summary>The folded convolution, then a ReLU when <paramref name="relu"/>.</summary>
    TValue Convolution(TValue x, FoldedConvolution convolution, bool relu);

    /// <summary>The stem's 3x3 max pool, stride 2, padding 1.</summary>
    TValue MaxPool(TValue x);

    /// <summary>A block's residual sum, before its ReLU.</summary>
    TValue Add(TValue residual, TValue identity, string block);

    /// <summary>The ReLU of a block's sum: the next block's input.</summary>
    TValue Relu(TValue sum, string block);

    /// <summary>A stage's output as a float feature map: the block's sum before its ReLU, or after it (the stem passes its
    /// pooled output as both).</summary>
    TValue Feature(TValue sum, TValue activated, bool preRelu);
}

using static TorchSharp.torch;

namespace Anomaly.ED.Export;

/// <summary>A bias-free convolution followed by its eval-mode batch norm, folded into one kernel and bias (float32).</summary>
/// <param name="Name">The convolution's state-dict name (e.g. <c>layer1.0.conv1</c>), which names its initializers and calibration range.</param>
/// <param name="Weight">The folded kernel (out, in, k, k).</param>
/// <param name="Bias">The folded bias (out).</param>
/// <param name="Stride">The stride on both axes.</param>
/// <param name="Padding">The zero padding on every side.</param>
internal sealed record FoldedConvolution(string Name, Tensor Weight, Tensor Bias, int Stride, int Padding);

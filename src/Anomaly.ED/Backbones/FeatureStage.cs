namespace Anomaly.ED.Backbones;

/// <summary>One named feature map a backbone can return: its channel count and its stride relative to the input image.</summary>
/// <param name="Name">The stage name, as in torchvision (<c>"stem"</c>, <c>"layer1"</c> … <c>"layer4"</c>).</param>
/// <param name="Channels">The number of channels of the stage's output.</param>
/// <param name="Stride">How many input pixels one output pixel spans along each axis (4, 4, 8, 16, 32 for a ResNet).</param>
public sealed record FeatureStage(string Name, int Channels, int Stride)
{
    /// <summary>The spatial size of this stage's output for an input of <paramref name="inputSize"/> pixels, as the ResNet computes it.</summary>
    /// <param name="inputSize">The input height or width in pixels.</param>
    /// <returns>The output height or width (ceiling division, since every downsampling layer pads).</returns>
    public int OutputSize(int inputSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        return (inputSize + Stride - 1) / Stride;
    }
}

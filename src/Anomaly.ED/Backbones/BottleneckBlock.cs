using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>
/// torchvision's Bottleneck (ResNet v1.5): conv1x1 → bn → relu → conv3x3 (stride) → bn → relu → conv1x1 → bn,
/// plus identity or downsample.
/// </summary>
internal sealed class BottleneckBlock : ResidualBlock
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;

    public BottleneckBlock(int inPlanes, int width, int outPlanes, int stride, Sequential? downsample, Device? device)
        : base("Bottleneck")
    {
        conv1 = nn.Conv2d(inPlanes, width, kernel_size: 1, bias: false, device: device);
        bn1 = nn.BatchNorm2d(width, device: device);
        conv2 = nn.Conv2d(width, width, kernel_size: 3, stride: stride, padding: 1, bias: false, device: device);
        bn2 = nn.BatchNorm2d(width, device: device);
        conv3 = nn.Conv2d(width, outPlanes, kernel_size: 1, bias: false, device: device);
        bn3 = nn.BatchNorm2d(outPlanes, device: device);
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor ResidualSum(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = bn1.call(conv1.call(input)).relu_();
        x = bn2.call(conv2.call(x)).relu_();
        x = bn3.call(conv3.call(x));
        var identity = downsample is null ? input : downsample.call(input);
        return x.add_(identity).MoveToOuterDisposeScope();
    }
}

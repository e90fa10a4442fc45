using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>torchvision's BasicBlock: conv3x3 (stride) → bn → relu → conv3x3 → bn, plus identity or downsample.</summary>
internal sealed class BasicBlock : ResidualBlock
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    public BasicBlock(int inPlanes, int planes, int stride, Sequential? downsample, Device? device)
        : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false, device: device);
        bn1 = nn.BatchNorm2d(planes, device: device);
        conv2 = nn.Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false, device: device);
        bn2 = nn.BatchNorm2d(planes, device: device);
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor ResidualSum(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = bn1.call(conv1.call(input)).relu_();
        x = bn2.call(conv2.call(x));
        var identity = downsample is null ? input : downsample.call(input);
        return x.add_(identity).MoveToOuterDisposeScope();
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>Depthwise 3x3 convolution (padding 1, with bias) applied to tokens (B, L, F) read as a (B, F, H, W) grid (`dwconv.dwconv`).</summary>
internal sealed class DepthwiseConvolution : nn.Module<Tensor, Tensor>
{
    private readonly int height;
    private readonly int width;
    private readonly Conv2d dwconv;

    /// <summary>Creates the convolution for F channels on an H x W grid.</summary>
    /// <param name="channels">F.</param>
    /// <param name="gridHeight">Grid rows.</param>
    /// <param name="gridWidth">Grid columns.</param>
    public DepthwiseConvolution(int channels, int gridHeight, int gridWidth)
        : base(nameof(DepthwiseConvolution))
    {
        height = gridHeight;
        width = gridWidth;
        dwconv = nn.Conv2d(channels, channels, kernel_size: 3, stride: 1, padding: 1, groups: channels, bias: true);
        RegisterComponents();
    }

    /// <summary>Convolves tokens (B, L, F) on the grid and returns tokens (B, L, F).</summary>
    /// <param name="input">Tokens (B, L = H*W, F).</param>
    /// <returns>Convolved tokens (B, L, F).</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var batch = input.shape[0];
        var channels = input.shape[2];
        var grid = input.transpose(1, 2).reshape(batch, channels, height, width);
        return dwconv.call(grid).flatten(2).transpose(1, 2).MoveToOuterDisposeScope();
    }
}

using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>A torchvision residual block: it can return its residual sum before the final ReLU (HETMM's features).</summary>
internal abstract class ResidualBlock : nn.Module<Tensor, Tensor>
{
    protected ResidualBlock(string name)
        : base(name)
    {
    }

    /// <summary>The block output before its final ReLU: main branch plus identity (or downsample).</summary>
    public abstract Tensor ResidualSum(Tensor input);

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => ResidualSum(input).relu_();
}

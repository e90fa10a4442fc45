using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>ED's D2Fusion (`fusion`): Linear(2d -> F), ReLU, Linear(F -> d) over concat(intra, inter) along the channels (`fusion.fc.0`, `fusion.fc.2`).</summary>
internal sealed class FeatureFusion : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Sequential fc;

    /// <summary>Creates the fusion block.</summary>
    /// <param name="modelDimension">d_model.</param>
    /// <param name="hiddenDimension">F.</param>
    public FeatureFusion(int modelDimension, int hiddenDimension)
        : base(nameof(FeatureFusion))
    {
        fc = nn.Sequential(
            ("0", nn.Linear(2 * modelDimension, hiddenDimension)),
            ("1", nn.ReLU()),
            ("2", nn.Linear(hiddenDimension, modelDimension)));
        RegisterComponents();
    }

    /// <summary>Fuses the two branch results (B, L, d_model) into (B, L, d_model).</summary>
    /// <param name="intra">x + intra-branch output.</param>
    /// <param name="inter">x + inter-branch output.</param>
    /// <returns>The fused tokens.</returns>
    public override Tensor forward(Tensor intra, Tensor inter)
    {
        using var scope = NewDisposeScope();
        return fc.call(cat([intra, inter], -1)).MoveToOuterDisposeScope();
    }
}

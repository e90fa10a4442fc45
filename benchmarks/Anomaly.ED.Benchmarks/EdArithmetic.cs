using Anomaly.ED.Backbones;
using Anomaly.ED.Methods.Ed.Network;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// Arithmetic and minimum memory traffic per image at the reference configuration, counted from the shapes: matrix
/// products and convolutions as 2 x multiply-adds; element-wise work over the (H, L, S) maps counted separately.
/// </summary>
internal static class EdArithmetic
{
    /// <summary>Multiply-add FLOPs of one level's forward pass for one image (embeddings, both branches, fusion, FFN, projection).</summary>
    public static double NetworkForwardFlops(EdLevelOptions o)
    {
        double l = o.TokenCount, c = o.InputChannels, d = o.ModelDimension, f = o.FeedForwardDimension, h = o.Heads;
        var embeddings = 2 * (2 * l * c * d);
        var branch = (3 * 2 * l * d * d) + (2 * l * d * 2 * h) + (2 * 2 * l * l * d);
        var fusion = (2 * l * 2 * d * f) + (2 * l * f * d);
        var ffn = (2 * l * d * f) + (2 * l * f * 9) + (2 * l * f * d);
        return embeddings + (o.Layers * ((2 * branch) + fusion + ffn)) + (2 * l * d * c);
    }

    /// <summary>The attention-score products Q K^T of one branch over all layers (recomputed by the blocked scoring and backward).</summary>
    public static double ScoreProductFlops(EdLevelOptions o) => o.Layers * 2.0 * o.TokenCount * o.TokenCount * o.ModelDimension;

    /// <summary>Map elements (H x L x S) over both branches and all layers of one level, one image.</summary>
    public static double MapElements(EdLevelOptions o) => 2.0 * o.Layers * o.Heads * o.TokenCount * o.TokenCount;

    /// <summary>Parameters of the level networks, for the minimum traffic (each read once per pass).</summary>
    public static long Parameters(IEnumerable<EdLevelNetwork> networks) => networks.SelectMany(n => n.parameters()).Sum(p => p.numel());

    /// <summary>Token-sized activations one forward pass of a level writes (B = 1): about 30 (L, d_model)-wide tensors per layer and branch work.</summary>
    public static double ActivationElements(EdLevelOptions o) =>
        (double)o.TokenCount * ((4.0 * o.InputChannels) + (o.Layers * ((30.0 * o.ModelDimension) + (4.0 * o.FeedForwardDimension))));

    /// <summary>Convolution FLOPs of the backbone for one image of the given size, counted with forward hooks.</summary>
    public static double BackboneFlops(string architecture, IReadOnlyList<string> stages, int size)
    {
        using var extractor = ResNetFeatureExtractor.Create(architecture, stages);
        double flops = 0;
        foreach (var (_, module) in extractor.Network.named_modules())
        {
            if (module is Conv2d conv)
            {
                conv.register_forward_hook((m, input, output) =>
                {
                    var w = conv.weight!.shape;
                    flops += 2.0 * output.numel() * w[1] * w[2] * w[3];
                    return output;
                });
            }
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        extractor.Extract(zeros(1, 3, size, size));
        return flops;
    }
}

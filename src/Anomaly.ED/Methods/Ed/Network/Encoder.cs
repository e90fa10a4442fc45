using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>The stack of encoder layers (`encode_layers`) followed by a LayerNorm (`norm`).</summary>
internal sealed class Encoder : nn.Module<Tensor, Tensor?, (Tensor Output, IReadOnlyList<EncoderLayerOutput> Layers)>
{
    private readonly ModuleList<EncoderLayer> encode_layers;
    private readonly LayerNorm norm;

    /// <summary>Creates the encoder.</summary>
    /// <param name="options">The level's options (validated by the caller).</param>
    public Encoder(EdLevelOptions options)
        : base(nameof(Encoder))
    {
        ArgumentNullException.ThrowIfNull(options);
        encode_layers = nn.ModuleList(Enumerable.Range(0, options.Layers).Select(_ => new EncoderLayer(options)).ToArray());
        norm = nn.LayerNorm(options.ModelDimension, eps: 1e-5);
        RegisterComponents();
    }

    internal IReadOnlyList<EncoderLayer> Layers => encode_layers.ToArray();

    internal LayerNorm Norm => norm;

    /// <summary>Runs every layer (the same reference tokens feed each) and the final LayerNorm.</summary>
    /// <param name="input">Embedded tokens (B, L, d_model).</param>
    /// <param name="reference">Embedded reference tokens (B or 1, L, d_model), or null when the inter branch is off.</param>
    /// <returns>The normalised output (B, L, d_model) and each layer's result (its output and maps).</returns>
    public override (Tensor Output, IReadOnlyList<EncoderLayerOutput> Layers) forward(Tensor input, Tensor? reference)
    {
        using var scope = NewDisposeScope();
        var layers = new List<EncoderLayerOutput>(encode_layers.Count);
        var x = input;
        foreach (var layer in encode_layers)
        {
            var result = layer.call(x, reference);
            layers.Add(result);
            x = result.Output;
        }

        var output = norm.call(x).MoveToOuterDisposeScope();
        foreach (var layer in layers)
        {
            layer.MoveToOuterDisposeScope();
        }

        return (output, layers);
    }
}

using Anomaly.ED.Backbones;
using static TorchSharp.torch;

namespace Anomaly.ED.Export.Int8;

/// <summary>
/// Runs normal images through the folded backbone in float32, as <see cref="OnnxInt8Backbone"/> will compute it, and
/// records the range of every activation the int8 graph quantizes: each convolution's output (after its ReLU where it has
/// one) and each block's output after its ReLU.
/// </summary>
internal static class BackboneCalibration
{
    /// <summary>The ranges over all batches, keyed by convolution name and block name.</summary>
    /// <param name="extractor">The model's backbone.</param>
    /// <param name="batches">Normalised image batches (B, 3, H, W), as the model's transform makes them; each is disposed once read.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static IReadOnlyDictionary<string, ActivationRange> Run(IFeatureExtractor extractor, IEnumerable<Tensor> batches, CancellationToken cancellationToken = default)
    {
        var ranges = new Dictionary<string, ActivationRange>(StringComparer.Ordinal);
        using var noGrad = no_grad();
        using var walk = new ResNetWalk(extractor);
        var operations = new RecordingOperations(ranges);
        foreach (var batch in batches)
        {
            using var owned = batch;
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            walk.Walk(operations, batch.to(extractor.Device));
        }

        return ranges.Count > 0 ? ranges : throw new ArgumentException("Calibration needs at least one image batch.", nameof(batches));
    }

    private sealed class RecordingOperations(Dictionary<string, ActivationRange> ranges) : IResNetOperations<Tensor>
    {
        public void Record(string name, Tensor values)
        {
            var range = ActivationRange.Of(values, name);
            ranges[name] = ranges.TryGetValue(name, out var known) ? known.Union(range) : range;
        }

        public Tensor Convolution(Tensor x, FoldedConvolution convolution, bool relu)
        {
            var y = nn.functional.conv2d(
                x,
                convolution.Weight.to(x.device),
                convolution.Bias.to(x.device),
                strides: [convolution.Stride, convolution.Stride],
                padding: [convolution.Padding, convolution.Padding]);
            if (relu)
            {
                y = nn.functional.relu(y);
            }

            Record(convolution.Name, y);
            return y;
        }

        public Tensor MaxPool(Tensor x) => nn.functional.max_pool2d(x, 3, 2, 1);

        public Tensor Add(Tensor residual, Tensor identity, string block) => residual + identity;

        public Tensor Relu(Tensor sum, string block)
        {
            var activated = nn.functional.relu(sum);
            Record(block, activated);
            return activated;
        }

        public Tensor Feature(Tensor sum, Tensor activated, bool preRelu) => preRelu ? sum : activated;
    }
}

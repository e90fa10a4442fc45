using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>
/// A frozen backbone that turns an image batch into named multi-scale feature maps, in eval mode and
/// without gradients. The stages are fixed when it is created, so a pipeline can size itself from
/// <see cref="Stages"/> before seeing an image.
/// </summary>
internal interface IFeatureExtractor : IDisposable
{
    /// <summary>The backbone name, e.g. <c>"wide_resnet50_2"</c>.</summary>
    string Architecture { get; }

    /// <summary>The stages returned by <see cref="Extract"/>, shallow to deep, with their channels and strides.</summary>
    IReadOnlyList<FeatureStage> Stages { get; }

    /// <summary>Whether stage outputs are taken after or before the final ReLU of their last block.</summary>
    FeatureActivation Activation { get; }

    /// <summary>The device holding the weights; outputs are produced there.</summary>
    Device Device { get; }

    /// <summary>Moves the weights to a device (in place) and returns this extractor.</summary>
    /// <param name="device">The target device, e.g. <c>torch.CUDA</c>.</param>
    /// <returns>This extractor.</returns>
    IFeatureExtractor to(Device device);

    /// <summary>Computes the feature maps of <see cref="Stages"/> for a batch, stopping after the deepest one.</summary>
    /// <param name="images">A float32 batch (B, 3, H, W), normalised as the weights expect; moved to <see cref="Device"/> if needed.</param>
    /// <param name="computeType">A reduced type (bfloat16, float16) to run the network in, through a cached copy of the
    /// weights; null for float32 with the weights themselves (parity mode, fitting).</param>
    /// <returns>One float32 (B, C, H/stride, W/stride) map per stage, in the caller's dispose scope.</returns>
    FeatureMaps Extract(Tensor images, ScalarType? computeType = null);

    /// <summary>The weights with their PyTorch names in a fixed order, to fingerprint or save them; the tensors belong to the extractor.</summary>
    /// <returns>The named weight tensors.</returns>
    IReadOnlyList<KeyValuePair<string, Tensor>> NamedWeights();
}

using System.Globalization;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// Streaming computation of one level's reference features (the "normal prototype"): the mean over all training images of
/// AvgPool2d(3, stride 1, padding 1, zero padding counted, i.e. always /9) of the backbone feature map, flattened
/// row-major over the grid to (C, L), as the reference's create_ref_features.py. Feed batches with <see cref="Add"/>;
/// the running sum is kept in float64, so the order of batches does not matter.
/// </summary>
internal sealed class ReferenceFeatures : IDisposable
{
    private Tensor? sum;
    private long channels;
    private long height;
    private long width;

    /// <summary>Number of images added so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds a batch of feature maps (N, C, H, W); every batch must have the same C, H and W.</summary>
    /// <param name="featureMaps">Backbone features of N training images.</param>
    /// <exception cref="ArgumentException">The tensor is not 4-D or its C, H, W differ from earlier batches.</exception>
    public void Add(Tensor featureMaps)
    {
        ArgumentNullException.ThrowIfNull(featureMaps);
        if (featureMaps.ndim != 4)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Feature maps must be (N, C, H, W), but the tensor has shape ({string.Join(", ", featureMaps.shape)})."), nameof(featureMaps));
        }

        if (sum is not null && (featureMaps.shape[1] != channels || featureMaps.shape[2] != height || featureMaps.shape[3] != width))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Feature maps must be (N, {channels}, {height}, {width}) like the earlier batches, but the tensor has shape ({string.Join(", ", featureMaps.shape)})."), nameof(featureMaps));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var pooled = Pool(featureMaps.detach());
        var batchSum = pooled.to(ScalarType.Float64).sum(0, keepdim: false);
        if (sum is null)
        {
            (channels, height, width) = (featureMaps.shape[1], featureMaps.shape[2], featureMaps.shape[3]);
            sum = batchSum.DetachFromDisposeScope();
        }
        else
        {
            sum.add_(batchSum);
        }

        Count += featureMaps.shape[0];
    }

    /// <summary>The mean so far as reference features (C, L = H*W), float32, on the device of the first batch.</summary>
    /// <returns>A new tensor (C, L).</returns>
    /// <exception cref="InvalidOperationException">No image was added.</exception>
    public Tensor Mean()
    {
        if (sum is null || Count == 0)
        {
            throw new InvalidOperationException("No feature maps were added; reference features need at least one training image.");
        }

        using var scope = NewDisposeScope();
        return (sum / Count).reshape(channels, height * width).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Reference features (C, L) of all training feature maps (N, C, H, W) at once.</summary>
    /// <param name="featureMaps">Backbone features of the training images.</param>
    /// <returns>A new float32 tensor (C, L).</returns>
    public static Tensor Compute(Tensor featureMaps)
    {
        using var accumulator = new ReferenceFeatures();
        accumulator.Add(featureMaps);
        return accumulator.Mean();
    }

    /// <summary>The token pooling shared by the reference features and the network input: AvgPool2d(3, 1, 1), count_include_pad.</summary>
    /// <param name="featureMaps">Feature maps (N, C, H, W).</param>
    /// <returns>Pooled maps (N, C, H, W).</returns>
    public static Tensor Pool(Tensor featureMaps)
    {
        ArgumentNullException.ThrowIfNull(featureMaps);
        return nn.functional.avg_pool2d(featureMaps, kernel_size: 3, stride: 1, padding: 1, count_include_pad: true);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        sum?.Dispose();
        sum = null;
    }
}

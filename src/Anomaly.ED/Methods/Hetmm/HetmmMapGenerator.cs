using Anomaly.ED.Scoring;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>
/// HETMM's maps from its weighted level grids, as the reference's test loop: the levels upsampled (bilinear, aligned
/// corners) and summed, then each metric's post-processing; thread-safe.
/// </summary>
/// <remarks>
/// The sum is <see cref="AnomalyMaps.Combined"/>; the pixel map (<c>pix_AUC</c>'s post-processing) is
/// <see cref="AnomalyMaps.Smoothed"/>, which predictions show and evaluation uses for every smoothed pixel metric; the image
/// score is <c>img_AUC</c>'s post-processing followed by the maximum (or the max-pool mean). The reference's separate
/// <c>PRO</c> post-processing is kept in the configuration but the detector's AUPRO is computed on the pixel map.
/// </remarks>
internal sealed class HetmmMapGenerator
{
    private readonly AnomalyMapGenerator upsampler;
    private readonly HetmmConfiguration configuration;

    public HetmmMapGenerator(int height, int width, HetmmConfiguration configuration)
    {
        upsampler = new AnomalyMapGenerator(height, width, smoother: null);
        this.configuration = configuration;
    }

    /// <summary>The maps of a batch from one weighted (B, h, w) grid per level.</summary>
    public AnomalyMaps Generate(IReadOnlyList<Tensor> levelGrids)
    {
        using var scope = NewDisposeScope();
        var combined = upsampler.Sum(levelGrids);
        var pixel = Filter(combined, configuration.PixelMap);
        var image = ImageScores(combined, configuration.ImageScore);
        return new AnomalyMaps(combined.MoveToOuterDisposeScope(), pixel.MoveToOuterDisposeScope(), image.MoveToOuterDisposeScope());
    }

    /// <summary>A map filter applied to (B, H, W) maps: the maps themselves (a copy) or blurred.</summary>
    public static Tensor Filter(Tensor maps, MapFilter filter) => filter.Kind switch
    {
        MapFilterKind.Clean => maps.clone(),
        MapFilterKind.Blur => Blur(maps, filter.Sigma, filter.KernelSize),
        _ => throw new ArgumentException($"{filter.Kind} does not give a map.", nameof(filter)),
    };

    /// <summary>Image scores (B) of (B, H, W) maps: the maximum of the filtered map, or the mean of its max-pooling.</summary>
    public static Tensor ImageScores(Tensor maps, MapFilter filter)
    {
        using var scope = NewDisposeScope();
        var scores = filter.Kind == MapFilterKind.MaxPoolMean
            ? MaxPoolMean(maps, filter.KernelSize)
            : Filter(maps, filter).flatten(1).amax(1);
        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>HETMM's GaussianFilter: a normalised 2-D kernel applied as a convolution with zero padding of size / 2.</summary>
    public static Tensor Blur(Tensor maps, double sigma, int size)
    {
        using var scope = NewDisposeScope();
        var kernel = BlurKernel(sigma, size).to(maps.device).view(1, 1, size, size);
        var blurred = nn.functional.conv2d(maps.unsqueeze(1), kernel, padding: [size / 2, size / 2]).squeeze(1);
        return blurred.MoveToOuterDisposeScope();
    }

    /// <summary>The (size, size) float32 kernel, computed with the reference's float32 operations and divided by its sum.</summary>
    public static Tensor BlurKernel(double sigma, int size)
    {
        using var scope = NewDisposeScope();
        var axis = arange(size, ScalarType.Float32);
        var grids = meshgrid([axis, axis], indexing: "ij");
        var mean = (size - 1) / 2.0;
        var scale = 1 / (sigma * Math.Sqrt(2 * Math.PI));
        Tensor? kernel = null;
        foreach (var grid in grids)
        {
            var factor = ((grid - mean) / sigma).pow(2).div(2).neg().exp().mul(scale);
            kernel = kernel is null ? factor : kernel * factor;
        }

        return (kernel! / kernel!.sum()).MoveToOuterDisposeScope();
    }

    /// <summary>The mean over each map of max_pool2d(k, stride k, no padding).</summary>
    public static Tensor MaxPoolMean(Tensor maps, int size)
    {
        using var scope = NewDisposeScope();
        var pooled = nn.functional.max_pool2d(maps.unsqueeze(1), [size, size], [size, size]);
        return pooled.flatten(1).mean([1]).MoveToOuterDisposeScope();
    }
}

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
    /// <remarks>
    /// The kernel is the outer product of one normalised 1-D Gaussian with itself, so the blur is that Gaussian along the
    /// columns and then along the rows, each written as a product with a banded matrix that holds the zero padding: two
    /// small matrix products per map instead of size * size multiply-adds per pixel (33x33 at 256x256 took 9.3 ms per
    /// image as one convolution, a tenth of HETMM's prediction). Equal up to float32 rounding.
    /// </remarks>
    public static Tensor Blur(Tensor maps, double sigma, int size)
    {
        using var scope = NewDisposeScope();
        var (columns, rows) = BlurMatrices(sigma, size, maps.shape[^2], maps.shape[^1], maps.device);
        return columns.matmul(maps).matmul(rows).MoveToOuterDisposeScope();
    }

    /// <summary>The blur of (B, height, width) maps as <c>columns @ maps @ rows</c>: (height', height) and (width, width').</summary>
    public static (Tensor Columns, Tensor Rows) BlurMatrices(double sigma, int size, long height, long width, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var factor = BlurFactor(sigma, size).to(device ?? CPU);
        var columns = BandMatrix(factor, height, size);
        var rows = BandMatrix(factor, width, size).t().contiguous();
        return (columns.MoveToOuterDisposeScope(), rows.MoveToOuterDisposeScope());
    }

    // (length + 2 (size / 2) - size + 1, length): row o holds the factor at the inputs o - size / 2 ... o - size / 2 + size - 1
    // that exist, as a convolution with zero padding of size / 2 reads them.
    private static Tensor BandMatrix(Tensor factor, long length, int size)
    {
        using var scope = NewDisposeScope();
        var padding = size / 2;
        var outputs = length + (2 * padding) - size + 1;
        var offsets = arange(length, device: factor.device).unsqueeze(0) - arange(outputs, device: factor.device).unsqueeze(1) + padding;
        var inside = offsets.ge(0).logical_and(offsets.lt(size));
        var band = factor.index_select(0, offsets.clamp(0, size - 1).flatten()).view(outputs, length);
        return band.mul(inside).MoveToOuterDisposeScope();
    }

    /// <summary>The (size, size) float32 kernel, computed with the reference's float32 operations and divided by its sum.</summary>
    public static Tensor BlurKernel(double sigma, int size)
    {
        using var scope = NewDisposeScope();
        var axis = arange(size, ScalarType.Float32);
        var grids = meshgrid([axis, axis], indexing: "ij");
        Tensor? kernel = null;
        foreach (var grid in grids)
        {
            var factor = Gaussian(grid, sigma, size);
            kernel = kernel is null ? factor : kernel * factor;
        }

        return (kernel! / kernel!.sum()).MoveToOuterDisposeScope();
    }

    // The 1-D factor of the kernel, normalised: its outer product with itself is BlurKernel up to rounding.
    private static Tensor BlurFactor(double sigma, int size)
    {
        using var scope = NewDisposeScope();
        var factor = Gaussian(arange(size, ScalarType.Float32), sigma, size);
        return (factor / factor.sum()).MoveToOuterDisposeScope();
    }

    private static Tensor Gaussian(Tensor positions, double sigma, int size)
    {
        var mean = (size - 1) / 2.0;
        var scale = 1 / (sigma * Math.Sqrt(2 * Math.PI));
        return ((positions - mean) / sigma).pow(2).div(2).neg().exp().mul(scale);
    }

    /// <summary>The mean over each map of max_pool2d(k, stride k, no padding).</summary>
    public static Tensor MaxPoolMean(Tensor maps, int size)
    {
        using var scope = NewDisposeScope();
        var pooled = nn.functional.max_pool2d(maps.unsqueeze(1), [size, size], [size, size]);
        return pooled.flatten(1).mean([1]).MoveToOuterDisposeScope();
    }
}

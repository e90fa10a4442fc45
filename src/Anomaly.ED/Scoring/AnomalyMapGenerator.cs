using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Scoring;

/// <summary>Turns per-level token score grids into anomaly maps at input resolution and image scores, as the reference test loop does.</summary>
/// <remarks>Each level is upsampled bilinearly with aligned corners, the levels are averaged in float32 in level order, each map is smoothed (scipy-equal Gaussian, the reference's sigma 4) unless smoothing is off, and the image score is the maximum of its smoothed map. Shared by the methods (HETMM upsamples with it). Thread-safe.</remarks>
internal sealed class AnomalyMapGenerator
{
    private readonly GaussianMapSmoother? smoother;

    /// <summary>Creates a generator for maps of <paramref name="height"/> x <paramref name="width"/> pixels.</summary>
    /// <param name="height">Output map height (the model's input height).</param>
    /// <param name="width">Output map width (the model's input width).</param>
    /// <param name="smoother">The smoothing filter; null for none (the smoothed maps are then the combined ones).</param>
    public AnomalyMapGenerator(int height, int width, GaussianMapSmoother? smoother)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Height = height;
        Width = width;
        this.smoother = smoother;
    }

    /// <summary>Output map height in pixels.</summary>
    public int Height { get; }

    /// <summary>Output map width in pixels.</summary>
    public int Width { get; }

    /// <summary>The smoother applied by <see cref="Smooth"/>, null when smoothing is off (the ONNX export reproduces its taps).</summary>
    internal GaussianMapSmoother? Smoother => smoother;

    /// <summary>Upsamples every level to the output size and averages them: (B, H, W), float32, on the levels' device.</summary>
    /// <param name="levelScores">One score grid per level, each (B, h, w) with the same B.</param>
    public Tensor Combine(IReadOnlyList<Tensor> levelScores)
    {
        using var scope = NewDisposeScope();
        return (Sum(levelScores) / levelScores.Count).MoveToOuterDisposeScope();
    }

    /// <summary>Upsamples every level to the output size (bilinear, aligned corners) and adds them in level order: (B, H, W), float32.</summary>
    /// <param name="levelScores">One score grid per level, each (B, h, w) with the same B.</param>
    public Tensor Sum(IReadOnlyList<Tensor> levelScores)
    {
        ArgumentNullException.ThrowIfNull(levelScores);
        if (levelScores.Count == 0)
        {
            throw new ArgumentException("At least one level of scores is needed.", nameof(levelScores));
        }

        var batch = levelScores[0].shape.Length == 3 ? levelScores[0].shape[0] : -1;
        for (var i = 0; i < levelScores.Count; i++)
        {
            var shape = levelScores[i].shape;
            if (shape.Length != 3 || shape[0] != batch)
            {
                throw new ArgumentException(
                    $"Level {i} scores have shape [{string.Join(", ", shape)}]; every level must be (B, h, w) with B = {batch}.",
                    nameof(levelScores));
            }
        }

        using var scope = NewDisposeScope();
        Tensor? sum = null;
        foreach (var level in levelScores)
        {
            var up = nn.functional.interpolate(
                level.to(ScalarType.Float32).unsqueeze(1),
                size: new long[] { Height, Width },
                mode: InterpolationMode.Bilinear,
                align_corners: true).squeeze(1);
            sum = sum is null ? up : sum + up;
        }

        return sum!.MoveToOuterDisposeScope();
    }

    /// <summary>Combines the levels, smooths each map and takes the image scores.</summary>
    /// <param name="levelScores">One score grid per level, each (B, h, w) with the same B.</param>
    public AnomalyMaps Generate(IReadOnlyList<Tensor> levelScores)
    {
        var combined = Combine(levelScores);
        try
        {
            var smoothed = smoother is null ? combined.clone() : Smooth(combined);
            var imageScores = smoothed.amax(new long[] { 1, 2 });
            return new AnomalyMaps(combined, smoothed, imageScores);
        }
        catch
        {
            combined.Dispose();
            throw;
        }
    }

    /// <summary>Smooths each map of a (B, H, W) tensor with the generator's smoother; the result is float32 on the input's device.</summary>
    /// <exception cref="InvalidOperationException">Smoothing is off.</exception>
    public Tensor Smooth(Tensor maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.shape.Length != 3)
        {
            throw new ArgumentException($"Maps must be (B, H, W), got [{string.Join(", ", maps.shape)}].", nameof(maps));
        }

        var filter = smoother ?? throw new InvalidOperationException("This generator does not smooth (sigma 0).");
        int batch = (int)maps.shape[0], height = (int)maps.shape[1], width = (int)maps.shape[2];
        var pixels = height * width;
        float[] input;
        using (var cpu = maps.detach().to(ScalarType.Float32).cpu().contiguous())
        {
            input = cpu.data<float>().ToArray();
        }

        var output = new float[input.Length];
        Parallel.For(0, batch, b => filter.Smooth(input.AsSpan(b * pixels, pixels), height, width, output.AsSpan(b * pixels, pixels)));
        var result = torch.tensor(output, new long[] { batch, height, width });
        if (maps.device_type == DeviceType.CPU)
        {
            return result;
        }

        using (result)
        {
            return result.to(maps.device);
        }
    }
}

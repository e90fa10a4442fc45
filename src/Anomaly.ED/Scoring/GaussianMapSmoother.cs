namespace Anomaly.ED.Scoring;

/// <summary>Gaussian smoothing of anomaly maps, bit-equal to scipy.ndimage.gaussian_filter on float32 maps (mode 'reflect', truncate 4).</summary>
/// <remarks>Separable: first down each column, rounded to float32, then along each row; each pass accumulates in double in scipy's order. Instances are immutable and thread-safe.</remarks>
internal sealed class GaussianMapSmoother
{
    private readonly double[] weights;

    /// <summary>Creates a smoother; the reference uses <paramref name="sigma"/> = 4.</summary>
    /// <param name="sigma">Standard deviation in pixels; must be positive and finite.</param>
    /// <param name="truncate">Kernel radius in standard deviations (scipy's default 4).</param>
    public GaussianMapSmoother(double sigma = 4.0, double truncate = 4.0)
    {
        if (!(sigma > 0) || double.IsInfinity(sigma))
        {
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "The Gaussian sigma must be positive and finite.");
        }

        if (!(truncate > 0) || double.IsInfinity(truncate))
        {
            throw new ArgumentOutOfRangeException(nameof(truncate), truncate, "The Gaussian truncation must be positive and finite.");
        }

        Sigma = sigma;
        Radius = (int)(truncate * sigma + 0.5);
        weights = Kernel(sigma, Radius);
    }

    /// <summary>The standard deviation in pixels.</summary>
    public double Sigma { get; }

    /// <summary>The kernel radius in pixels (the kernel has 2 * radius + 1 taps).</summary>
    public int Radius { get; }

    /// <summary>The normalised kernel, taps -radius to radius.</summary>
    public IReadOnlyList<double> Weights => weights;

    /// <summary>Smooths one row-major map of <paramref name="height"/> x <paramref name="width"/> pixels into <paramref name="output"/> (which may not alias the input).</summary>
    public void Smooth(ReadOnlySpan<float> map, int height, int width, Span<float> output)
    {
        if (height <= 0 || width <= 0 || map.Length != height * width || output.Length != map.Length)
        {
            throw new ArgumentException($"Gaussian smoothing: a {height}x{width} map needs {height * width} values in and out, got {map.Length} and {output.Length}.");
        }

        var line = new double[Math.Max(height, width) + 2 * Radius];
        var vertical = new float[map.Length];
        for (var x = 0; x < width; x++)
        {
            for (var y = 0; y < height; y++)
            {
                line[Radius + y] = map[y * width + x];
            }

            Extend(line, height);
            for (var y = 0; y < height; y++)
            {
                vertical[y * width + x] = (float)Correlate(line, Radius + y);
            }
        }

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                line[Radius + x] = vertical[y * width + x];
            }

            Extend(line, width);
            for (var x = 0; x < width; x++)
            {
                output[y * width + x] = (float)Correlate(line, Radius + x);
            }
        }
    }

    /// <summary>Smooths one map and returns the result.</summary>
    public float[] Smooth(ReadOnlySpan<float> map, int height, int width)
    {
        var output = new float[map.Length];
        Smooth(map, height, width, output);
        return output;
    }

    // scipy's symmetric-kernel loop: centre tap first, then pairs from the outermost inward.
    private double Correlate(double[] line, int centre)
    {
        var sum = line[centre] * weights[Radius];
        for (var j = Radius; j >= 1; j--)
        {
            sum += (line[centre - j] + line[centre + j]) * weights[Radius - j];
        }

        return sum;
    }

    // Half-sample symmetric extension (scipy 'reflect', numpy 'symmetric'): ... c b a | a b c ... x y z | z y x ...
    private void Extend(double[] line, int length)
    {
        for (var k = 1; k <= Radius; k++)
        {
            line[Radius - k] = line[Radius + Reflect(-k, length)];
            line[Radius + length - 1 + k] = line[Radius + Reflect(length - 1 + k, length)];
        }
    }

    private static int Reflect(int index, int length)
    {
        var period = 2 * length;
        var i = ((index % period) + period) % period;
        return i < length ? i : period - 1 - i;
    }

    private static double[] Kernel(double sigma, int radius)
    {
        var taps = new double[2 * radius + 1];
        var factor = -0.5 / (sigma * sigma);
        for (var i = 0; i < taps.Length; i++)
        {
            double x = i - radius;
            taps[i] = Math.Exp(factor * (x * x));
        }

        var sum = PairwiseSum(taps);
        for (var i = 0; i < taps.Length; i++)
        {
            taps[i] /= sum;
        }

        return taps;
    }

    // numpy's pairwise summation (8 interleaved accumulators below 128 elements), so the normalised kernel is bit-equal to scipy's.
    private static double PairwiseSum(ReadOnlySpan<double> values)
    {
        if (values.Length < 8)
        {
            double s = 0;
            foreach (var v in values)
            {
                s += v;
            }

            return s;
        }

        if (values.Length <= 128)
        {
            Span<double> r = stackalloc double[8];
            values[..8].CopyTo(r);
            var i = 8;
            for (; i < values.Length - (values.Length % 8); i += 8)
            {
                for (var k = 0; k < 8; k++)
                {
                    r[k] += values[i + k];
                }
            }

            var result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < values.Length; i++)
            {
                result += values[i];
            }

            return result;
        }

        var half = values.Length / 2;
        half -= half % 8;
        return PairwiseSum(values[..half]) + PairwiseSum(values[half..]);
    }
}

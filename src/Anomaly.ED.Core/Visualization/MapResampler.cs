using Anomaly.ED.Scoring;

namespace Anomaly.ED.Visualization;

/// <summary>Resizes anomaly maps in managed code, for drawing them over images of another size.</summary>
internal static class MapResampler
{
    /// <summary>
    /// Resizes a map bilinearly to <paramref name="height"/> x <paramref name="width"/> with pixel-centre alignment
    /// (PyTorch <c>align_corners=False</c>, OpenCV <c>INTER_LINEAR</c>): the maps' outer edges coincide and border
    /// values extend to the edge. Height and width scale independently, so a square map stretches over a non-square
    /// image exactly as a square resize squeezed that image. There is no anti-aliasing when shrinking.
    /// </summary>
    /// <param name="map">The map.</param>
    /// <param name="height">Output height (at least 1).</param>
    /// <param name="width">Output width (at least 1).</param>
    /// <returns>A new map; a copy when the size is unchanged.</returns>
    public static AnomalyMap Bilinear(AnomalyMap map, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if ((long)height * width > Array.MaxLength)
        {
            throw new ArgumentException($"A {height}x{width} anomaly map is too large for one array.", nameof(height));
        }

        if (height == map.Height && width == map.Width)
        {
            return new AnomalyMap(height, width, (float[])map.Values.Clone());
        }

        var (x0, x1, wx) = Taps(map.Width, width);
        var (y0, y1, wy) = Taps(map.Height, height);
        var src = map.Values;
        var dst = new float[height * width];

        // Each source row, resized horizontally once (in double, as it enters the vertical blend) for every output row
        // that reads it: the same arithmetic as interpolating both ways per pixel, with half the work when enlarging.
        var rows = new double[map.Height][];
        for (var y = 0; y < height; y++)
        {
            var top = HorizontalRow(rows, y0[y], src, map.Width, x0, x1, wx);
            var bottom = HorizontalRow(rows, y1[y], src, map.Width, x0, x1, wx);
            var fy = wy[y];
            var output = dst.AsSpan(y * width, width);
            for (var x = 0; x < output.Length; x++)
            {
                output[x] = (float)(((1.0 - fy) * top[x]) + (fy * bottom[x]));
            }
        }

        return new AnomalyMap(height, width, dst);
    }

    private static double[] HorizontalRow(double[][] rows, int row, float[] src, int sourceWidth, int[] x0, int[] x1, double[] wx)
    {
        if (rows[row] is { } done)
        {
            return done;
        }

        var values = new double[x0.Length];
        var offset = row * sourceWidth;
        for (var x = 0; x < values.Length; x++)
        {
            var fx = wx[x];
            values[x] = ((1.0 - fx) * src[offset + x0[x]]) + (fx * src[offset + x1[x]]);
        }

        return rows[row] = values;
    }

    // For each output index: the two source indices and the weight of the second.
    private static (int[] First, int[] Second, double[] Weight) Taps(int inSize, int outSize)
    {
        var first = new int[outSize];
        var second = new int[outSize];
        var weight = new double[outSize];
        var scale = (double)inSize / outSize;
        for (var i = 0; i < outSize; i++)
        {
            var position = Math.Max(((i + 0.5) * scale) - 0.5, 0.0);
            var lower = Math.Min((int)position, inSize - 1);
            first[i] = lower;
            second[i] = Math.Min(lower + 1, inSize - 1);
            weight[i] = position - lower;
        }

        return (first, second, weight);
    }
}

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
        for (var y = 0; y < height; y++)
        {
            var row0 = y0[y] * map.Width;
            var row1 = y1[y] * map.Width;
            var fy = wy[y];
            for (var x = 0; x < width; x++)
            {
                var fx = wx[x];
                var top = ((1.0 - fx) * src[row0 + x0[x]]) + (fx * src[row0 + x1[x]]);
                var bottom = ((1.0 - fx) * src[row1 + x0[x]]) + (fx * src[row1 + x1[x]]);
                dst[(y * width) + x] = (float)(((1.0 - fy) * top) + (fy * bottom));
            }
        }

        return new AnomalyMap(height, width, dst);
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

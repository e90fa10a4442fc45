namespace Anomaly.ED.Visualization;

/// <summary>Finds the boundary band of a binary region on a pixel grid.</summary>
internal static class RegionOutline
{
    /// <summary>
    /// The region pixels within <paramref name="thickness"/> 4-neighbour steps (city-block distance) of a pixel outside
    /// the region; pixels beyond the grid count as outside, so a region touching the border is closed there.
    /// With thickness 1 these are the region pixels with a 4-neighbour outside it: an 8-connected outline.
    /// </summary>
    /// <param name="region">Row-major membership, <paramref name="height"/> x <paramref name="width"/>.</param>
    /// <param name="height">Grid height.</param>
    /// <param name="width">Grid width.</param>
    /// <param name="thickness">Band width in pixels (at least 1).</param>
    /// <returns>Row-major outline membership.</returns>
    public static bool[] Find(ReadOnlySpan<bool> region, int height, int width, int thickness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(thickness, 1);
        if (region.Length != height * width)
        {
            throw new ArgumentException($"A {height}x{width} region needs {height * width} values, got {region.Length}.", nameof(region));
        }

        // Two-pass city-block distance to the nearest outside pixel (exact for this metric), capped at the thickness
        // plus one since larger distances are not needed.
        var cap = thickness + 1;
        var distance = new int[region.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                if (!region[i])
                {
                    distance[i] = 0;
                    continue;
                }

                var up = y > 0 ? distance[i - width] : 0;
                var left = x > 0 ? distance[i - 1] : 0;
                distance[i] = Math.Min(Math.Min(up, left) + 1, cap);
            }
        }

        var outline = new bool[region.Length];
        for (var y = height - 1; y >= 0; y--)
        {
            for (var x = width - 1; x >= 0; x--)
            {
                var i = (y * width) + x;
                if (distance[i] == 0)
                {
                    continue;
                }

                var down = y < height - 1 ? distance[i + width] : 0;
                var right = x < width - 1 ? distance[i + 1] : 0;
                distance[i] = Math.Min(distance[i], Math.Min(down, right) + 1);
                outline[i] = distance[i] <= thickness;
            }
        }

        return outline;
    }
}

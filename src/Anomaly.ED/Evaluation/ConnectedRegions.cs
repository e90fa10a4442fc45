namespace Anomaly.ED.Evaluation;

/// <summary>Labels the connected regions of a binary mask under 8-connectivity, in raster order (as skimage's measure.label with connectivity 2).</summary>
internal static class ConnectedRegions
{
    /// <summary>Writes a 1-based region label per pixel (0 for background) into <paramref name="labels"/> and returns the region sizes in label order.</summary>
    public static List<int> Label(ReadOnlySpan<bool> mask, int height, int width, Span<int> labels)
    {
        labels.Clear();
        var sizes = new List<int>();
        var stack = new Stack<int>();
        for (var start = 0; start < mask.Length; start++)
        {
            if (!mask[start] || labels[start] != 0)
            {
                continue;
            }

            var label = sizes.Count + 1;
            var size = 0;
            labels[start] = label;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var p = stack.Pop();
                size++;
                int y = p / width, x = p % width;
                for (var dy = -1; dy <= 1; dy++)
                {
                    var ny = y + dy;
                    if (ny < 0 || ny >= height)
                    {
                        continue;
                    }

                    for (var dx = -1; dx <= 1; dx++)
                    {
                        var nx = x + dx;
                        if (nx < 0 || nx >= width)
                        {
                            continue;
                        }

                        var q = ny * width + nx;
                        if (mask[q] && labels[q] == 0)
                        {
                            labels[q] = label;
                            stack.Push(q);
                        }
                    }
                }
            }

            sizes.Add(size);
        }

        return sizes;
    }
}

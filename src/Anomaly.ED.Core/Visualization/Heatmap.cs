using Anomaly.ED.Data;
using Anomaly.ED.Scoring;

namespace Anomaly.ED.Visualization;

/// <summary>Renders anomaly maps as RGB heatmaps.</summary>
public static class Heatmap
{
    /// <summary>
    /// Colours each map value: v is normalised to t = (v - low) / (high - low) with the ends from
    /// <paramref name="range"/>, clipped to [0, 1], and looked up in <paramref name="colormap"/>'s table.
    /// </summary>
    /// <param name="map">The anomaly map.</param>
    /// <param name="colormap">The colour scale.</param>
    /// <param name="range">The value range; null for <see cref="HeatmapRange.PerMap"/>.</param>
    /// <returns>A 3-channel image of the map's size.</returns>
    /// <exception cref="ArgumentException">The map holds NaN or an infinity (the message gives the first position).</exception>
    public static ImageBuffer Render(AnomalyMap map, Colormap colormap = VisualizationDefaults.Colormap, HeatmapRange? range = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        RequireFinite(map, nameof(map));
        var (low, high) = (range ?? HeatmapRange.PerMap).Resolve(map);
        var image = new ImageBuffer(map.Width, map.Height, 3);
        Colorize(map.Values, low, high, colormap, image.Pixels);
        return image;
    }

    /// <summary>Writes the colours of <paramref name="values"/> as interleaved RGB into <paramref name="rgb"/>.</summary>
    internal static void Colorize(ReadOnlySpan<float> values, double low, double high, Colormap colormap, Span<byte> rgb)
    {
        var table = Colormaps.Table(colormap);
        var span = high - low;
        for (var i = 0; i < values.Length; i++)
        {
            // A constant map under the per-map range takes the first colour, as matplotlib's Normalize does.
            var t = span > 0.0 ? (values[i] - low) / span : 0.0;
            var entry = Colormaps.Index(t) * 3;
            rgb[i * 3] = table[entry];
            rgb[(i * 3) + 1] = table[entry + 1];
            rgb[(i * 3) + 2] = table[entry + 2];
        }
    }

    /// <summary>Throws when the map holds NaN or an infinity, naming the first such pixel.</summary>
    internal static void RequireFinite(AnomalyMap map, string parameterName)
    {
        var values = map.Values;
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException(
                    $"The {map.Height}x{map.Width} anomaly map holds {values[i]} at row {i / map.Width}, column {i % map.Width}; only finite values can be drawn.",
                    parameterName);
            }
        }
    }
}

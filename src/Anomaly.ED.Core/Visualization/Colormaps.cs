namespace Anomaly.ED.Visualization;

/// <summary>
/// Colour lookups for <see cref="Colormap"/>: 256-entry tables equal to matplotlib's 8-bit output
/// (<c>cmap(x, bytes=True)</c>), binned the way matplotlib bins, so heatmaps match figures drawn by the Python tools.
/// </summary>
internal static class Colormaps
{
    /// <summary>The number of colours in each table.</summary>
    public const int Size = 256;

    // Matplotlib's segment data for 'jet': (position, value) breakpoints per channel, linear in between.
    private static readonly (double X, double Y)[] JetRed = [(0.0, 0.0), (0.35, 0.0), (0.66, 1.0), (0.89, 1.0), (1.0, 0.5)];
    private static readonly (double X, double Y)[] JetGreen = [(0.0, 0.0), (0.125, 0.0), (0.375, 1.0), (0.64, 1.0), (0.91, 0.0), (1.0, 0.0)];
    private static readonly (double X, double Y)[] JetBlue = [(0.0, 0.5), (0.11, 1.0), (0.34, 1.0), (0.65, 0.0), (1.0, 0.0)];

    private static readonly byte[] JetTable = BuildJet();

    /// <summary>The colour of a normalised value: 0 is the low end, 1 the high end; values outside [0, 1] take the end colours.</summary>
    /// <param name="colormap">The colour scale.</param>
    /// <param name="value">The normalised value.</param>
    /// <returns>The colour of the table entry the value falls in.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or the colormap is unknown.</exception>
    public static RgbColor GetColor(Colormap colormap, double value)
    {
        if (double.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A colormap value must be a number, not NaN.");
        }

        var table = Table(colormap);
        var i = Index(value) * 3;
        return new RgbColor(table[i], table[i + 1], table[i + 2]);
    }

    /// <summary>The table entry of a normalised value, as matplotlib picks it: floor(value x 256), with 1 in the last entry.</summary>
    internal static int Index(double value)
    {
        var scaled = value * Size;
        return scaled <= 0.0 ? 0 : scaled >= Size - 1 ? Size - 1 : (int)scaled;
    }

    /// <summary>The colour table: <see cref="Size"/> entries of R, G, B.</summary>
    internal static ReadOnlySpan<byte> Table(Colormap colormap) => colormap switch
    {
        Colormap.Jet => JetTable,
        Colormap.Viridis => ViridisTable.Rgb,
        _ => throw new ArgumentOutOfRangeException(nameof(colormap), colormap, $"Unknown colormap; use one of {string.Join(", ", Enum.GetNames<Colormap>())}."),
    };

    private static byte[] BuildJet()
    {
        var table = new byte[Size * 3];
        for (var i = 0; i < Size; i++)
        {
            // Matplotlib's _create_lookup_table: positions scaled by N - 1 and sampled at (N - 1) * linspace(0, 1, N),
            // whose points are i * step with the last exactly 1; the same order of operations gives the same bytes.
            var x = (Size - 1) * (i == Size - 1 ? 1.0 : i * (1.0 / (Size - 1)));
            table[i * 3] = ToByte(Interpolate(JetRed, x));
            table[(i * 3) + 1] = ToByte(Interpolate(JetGreen, x));
            table[(i * 3) + 2] = ToByte(Interpolate(JetBlue, x));
        }

        return table;
    }

    private static double Interpolate((double X, double Y)[] points, double x)
    {
        for (var k = 1; k < points.Length; k++)
        {
            var x1 = points[k].X * (Size - 1);
            if (x <= x1)
            {
                var x0 = points[k - 1].X * (Size - 1);
                var distance = (x - x0) / (x1 - x0);
                return (distance * (points[k].Y - points[k - 1].Y)) + points[k - 1].Y;
            }
        }

        return points[^1].Y;
    }

    // Matplotlib converts with (value * 255).astype(uint8): truncation, not rounding.
    private static byte ToByte(double value) => (byte)Math.Clamp(value * 255.0, 0.0, 255.0);
}

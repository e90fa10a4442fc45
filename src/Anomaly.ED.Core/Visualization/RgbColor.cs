namespace Anomaly.ED.Visualization;

/// <summary>An 8-bit sRGB colour, used for outlines, panel gaps and colormap lookups.</summary>
/// <param name="R">Red, 0 to 255.</param>
/// <param name="G">Green, 0 to 255.</param>
/// <param name="B">Blue, 0 to 255.</param>
public readonly record struct RgbColor(byte R, byte G, byte B)
{
    /// <summary>Black (0, 0, 0).</summary>
    public static RgbColor Black => new(0, 0, 0);

    /// <summary>White (255, 255, 255).</summary>
    public static RgbColor White => new(255, 255, 255);

    /// <summary>Pure red (255, 0, 0).</summary>
    public static RgbColor Red => new(255, 0, 0);

    /// <summary>Pure green (0, 255, 0).</summary>
    public static RgbColor Green => new(0, 255, 0);

    /// <summary>Magenta (255, 0, 255), a colour neither jet nor viridis contains.</summary>
    public static RgbColor Magenta => new(255, 0, 255);
}

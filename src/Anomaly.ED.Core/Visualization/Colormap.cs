namespace Anomaly.ED.Visualization;

/// <summary>The colour scale a heatmap uses to turn normalised anomaly values (0 = low, 1 = high) into colours.</summary>
public enum Colormap
{
    /// <summary>
    /// Matplotlib's 'jet' (dark blue, blue, cyan, yellow, red, dark red), as the reference ED visualiser draws.
    /// Familiar, but not perceptually uniform: bright cyan and yellow bands suggest edges that are not in the data.
    /// </summary>
    Jet,

    /// <summary>
    /// Matplotlib's 'viridis' (dark purple, blue, green, yellow): perceptually uniform, monotonic in lightness,
    /// readable by colour-blind viewers and when printed in grey.
    /// </summary>
    Viridis,
}

namespace Anomaly.ED.Visualization;

/// <summary>Default values of <see cref="VisualizationOptions"/>.</summary>
internal static class VisualizationDefaults
{
    /// <summary>The default colour scale: jet, as the reference ED visualiser draws.</summary>
    public const Colormap Colormap = Visualization.Colormap.Jet;

    /// <summary>The default heatmap opacity in overlays: an even mix of image and heatmap.</summary>
    public const double Alpha = 0.5;

    /// <summary>The default outline width in pixels.</summary>
    public const int OutlineThickness = 1;

    /// <summary>The default gap between panel tiles in pixels.</summary>
    public const int PanelGap = 4;

    /// <summary>The default outline colour of the predicted region (map at or above the threshold): white.</summary>
    public static RgbColor PredictedOutlineColor => RgbColor.White;

    /// <summary>The default outline colour of the ground-truth region: magenta.</summary>
    public static RgbColor GroundTruthOutlineColor => RgbColor.Magenta;

    /// <summary>The default colour of the gaps between panel tiles: white.</summary>
    public static RgbColor PanelGapColor => RgbColor.White;
}

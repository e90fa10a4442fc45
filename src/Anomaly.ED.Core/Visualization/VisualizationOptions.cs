using Anomaly.ED.Data;

namespace Anomaly.ED.Visualization;

/// <summary>How <see cref="HeatmapOverlay"/> and <see cref="AnomalyPanel"/> draw an anomaly map; one instance can serve many images.</summary>
public sealed class VisualizationOptions
{
    /// <summary>The colour scale.</summary>
    /// <value>The default value is <see cref="Colormap.Jet"/>.</value>
    public Colormap Colormap { get; set; } = VisualizationDefaults.Colormap;

    /// <summary>Which anomaly values map to the ends of the colour scale.</summary>
    /// <value>The default value is <see cref="HeatmapRange.PerMap"/>.</value>
    public HeatmapRange Range { get; set; } = HeatmapRange.PerMap;

    /// <summary>The heatmap's opacity over the image: 0 shows the image unchanged, 1 the heatmap alone.</summary>
    /// <value>The default value is 0.5.</value>
    public double Alpha { get; set; } = VisualizationDefaults.Alpha;

    /// <summary>
    /// The pixel threshold (in map units, typically the calibrated one): pixels whose resized map value is at or above it
    /// form the predicted region, outlined in overlays and shown as the panel's predicted-mask tile. Null: neither is drawn.
    /// </summary>
    /// <value>The default value is null.</value>
    public double? Threshold { get; set; }

    /// <summary>The outline colour of the predicted region.</summary>
    /// <value>The default value is white.</value>
    public RgbColor PredictedOutlineColor { get; set; } = VisualizationDefaults.PredictedOutlineColor;

    /// <summary>The outline colour of the ground-truth region.</summary>
    /// <value>The default value is magenta.</value>
    public RgbColor GroundTruthOutlineColor { get; set; } = VisualizationDefaults.GroundTruthOutlineColor;

    /// <summary>Whether overlays outline the ground-truth region when a mask is given.</summary>
    /// <value>The default value is true.</value>
    public bool OutlineGroundTruth { get; set; } = true;

    /// <summary>The width of outlines in pixels, drawn inside the region (1 to 64).</summary>
    /// <value>The default value is 1.</value>
    public int OutlineThickness { get; set; } = VisualizationDefaults.OutlineThickness;

    /// <summary>
    /// Where the map lies in the image, for transforms that centre-crop: pass the resized image
    /// (<see cref="ImageTransform.ResizeImage"/>) and <see cref="ImageTransform.GetCropBox"/>; pixels outside the box
    /// stay as in the image. Null: the map covers the whole image.
    /// </summary>
    /// <value>The default value is null.</value>
    internal CropBox? MapRegion { get; set; }

    /// <summary>The gap between panel tiles in pixels (0 to 256).</summary>
    /// <value>The default value is 4.</value>
    public int PanelGap { get; set; } = VisualizationDefaults.PanelGap;

    /// <summary>The colour of the gaps between panel tiles.</summary>
    /// <value>The default value is white.</value>
    public RgbColor PanelGapColor { get; set; } = VisualizationDefaults.PanelGapColor;

    /// <summary>Throws when an option is out of range, naming it and its value.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message lists every problem.</exception>
    internal void Validate()
    {
        var problems = new List<string>();
        if (!double.IsFinite(Alpha) || Alpha < 0.0 || Alpha > 1.0)
        {
            problems.Add($"{nameof(Alpha)} is {Alpha}; it must be between 0 and 1");
        }

        if (Threshold is { } threshold && !double.IsFinite(threshold))
        {
            problems.Add($"{nameof(Threshold)} is {threshold}; it must be a finite number or null");
        }

        if (OutlineThickness is < 1 or > 64)
        {
            problems.Add($"{nameof(OutlineThickness)} is {OutlineThickness}; it must be between 1 and 64");
        }

        if (PanelGap is < 0 or > 256)
        {
            problems.Add($"{nameof(PanelGap)} is {PanelGap}; it must be between 0 and 256");
        }

        if (Range is null)
        {
            problems.Add($"{nameof(Range)} is null; use {nameof(HeatmapRange)}.{nameof(HeatmapRange.PerMap)} or a fixed range");
        }

        if (!Enum.IsDefined(Colormap))
        {
            problems.Add($"{nameof(Colormap)} is {Colormap}; it must be one of {string.Join(", ", Enum.GetNames<Colormap>())}");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid {nameof(VisualizationOptions)}: {string.Join("; ", problems)}.", "options");
        }
    }
}

using Anomaly.ED.Data;
using Anomaly.ED.Scoring;

namespace Anomaly.ED.Visualization;

/// <summary>Draws an anomaly map over the image it was computed from.</summary>
public static class HeatmapOverlay
{
    /// <summary>
    /// Blends the heatmap into the image, out = (1 - alpha) x image + alpha x heatmap per channel (rounded), after
    /// resizing the map bilinearly to the image (or to <see cref="VisualizationOptions.MapRegion"/>); then outlines the
    /// predicted region (resized map at or above <see cref="VisualizationOptions.Threshold"/>) and the ground-truth region.
    /// </summary>
    /// <param name="image">The image, RGB (3 channels) or grey (1 channel, replicated); not modified.</param>
    /// <param name="map">The anomaly map, of any size.</param>
    /// <param name="groundTruth">An optional one-channel mask of the image's size (above 127 = defective), outlined.</param>
    /// <param name="options">How to draw; null for the defaults.</param>
    /// <returns>A new RGB image of the image's size.</returns>
    /// <exception cref="ArgumentException">
    /// The image has 4 channels, the mask is not one-channel or not of the image's size, the map holds a non-finite value,
    /// or an option is out of range; the message names the input and the sizes involved.
    /// </exception>
    public static ImageBuffer Render(ImageBuffer image, AnomalyMap map, ImageBuffer? groundTruth = null, VisualizationOptions? options = null)
        => MapScene.Create(image, map, groundTruth, options).Overlay();
}

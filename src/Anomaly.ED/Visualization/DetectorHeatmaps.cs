using Anomaly.ED.Data;
using Anomaly.ED.Scoring;

namespace Anomaly.ED.Visualization;

/// <summary>
/// Draws a detector's predictions on their source images, in the images' own geometry: the map is carried back
/// through the detector's resize and centre crop, so no caller has to rebuild the model's transform.
/// </summary>
/// <example>
/// <code>
/// var prediction = detector.Predict("part.png");
/// PngFile.Write(new DetectorHeatmaps(detector).RenderPanel(prediction, "part_mask.png"), "part_panel.png");
/// </code>
/// </example>
public sealed class DetectorHeatmaps
{
    private readonly EdDetector detector;

    /// <summary>Creates a renderer for the predictions of <paramref name="detector"/>.</summary>
    /// <param name="detector">The detector that made the predictions; it must outlive this renderer's use.</param>
    public DetectorHeatmaps(EdDetector detector)
    {
        ArgumentNullException.ThrowIfNull(detector);
        this.detector = detector;
    }

    /// <summary>
    /// Carries a map at the detector's input resolution back to an image of the given size (the inverse of the resize and
    /// centre crop; the cropped-away border takes the map's minimum). A map already of that size is returned as is.
    /// </summary>
    /// <param name="map">A map from the detector, at its input resolution or already at the image's.</param>
    /// <param name="imageHeight">The source image's height.</param>
    /// <param name="imageWidth">The source image's width.</param>
    /// <returns>The map in the image's geometry.</returns>
    /// <exception cref="ArgumentException">The map has neither the detector's size nor the image's.</exception>
    public AnomalyMap ToImageGeometry(AnomalyMap map, int imageHeight, int imageWidth)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        if (map.Height == imageHeight && map.Width == imageWidth)
        {
            return map;
        }

        var model = detector.Model;
        return map.Height == model.Height && map.Width == model.Width
            ? model.MapAtOriginalResolution(map.Values, imageHeight, imageWidth)
            : throw new ArgumentException(
                $"The map is {map.Height}x{map.Width}; expected the detector's {model.Height}x{model.Width} or the image's {imageHeight}x{imageWidth}.",
                nameof(map));
    }

    /// <summary>The heatmap over the prediction's source image, with the true defect outlined when a mask is given.</summary>
    /// <param name="prediction">A prediction made from a file (<see cref="AnomalyPrediction.SourcePath"/> set).</param>
    /// <param name="groundTruthMaskPath">The true defect mask of that image, or null.</param>
    /// <param name="options">Colours, range and outlines; the defaults when null.</param>
    /// <returns>The overlay, of the source image's size.</returns>
    public ImageBuffer RenderOverlay(AnomalyPrediction prediction, string? groundTruthMaskPath = null, VisualizationOptions? options = null)
    {
        var (image, map, truth) = Scene(prediction, groundTruthMaskPath);
        return HeatmapOverlay.Render(image, map, truth, options);
    }

    /// <summary>The heatmap over the decoded image the prediction was made from, for predictions made from bytes, streams or decoded images.</summary>
    /// <param name="image">The image that was scored, RGB or grey, at its original size.</param>
    /// <param name="prediction">The prediction of <paramref name="image"/>.</param>
    /// <param name="options">Colours, range and outlines; the defaults when null.</param>
    /// <returns>The overlay, of the image's size.</returns>
    public ImageBuffer RenderOverlay(ImageBuffer image, AnomalyPrediction prediction, VisualizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(prediction);
        return HeatmapOverlay.Render(image, ToImageGeometry(prediction.Map, image.Height, image.Width), null, options);
    }

    /// <summary>The panel of the source image, the overlay and the true mask (see <see cref="AnomalyPanel"/>), in the image's geometry.</summary>
    /// <param name="prediction">A prediction made from a file (<see cref="AnomalyPrediction.SourcePath"/> set).</param>
    /// <param name="groundTruthMaskPath">The true defect mask of that image, or null.</param>
    /// <param name="options">Colours, range and outlines; the defaults when null.</param>
    /// <returns>The panel.</returns>
    public ImageBuffer RenderPanel(AnomalyPrediction prediction, string? groundTruthMaskPath = null, VisualizationOptions? options = null)
    {
        var (image, map, truth) = Scene(prediction, groundTruthMaskPath);
        return AnomalyPanel.Render(image, map, truth, options);
    }

    private (ImageBuffer Image, AnomalyMap Map, ImageBuffer? Truth) Scene(AnomalyPrediction prediction, string? groundTruthMaskPath)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        var source = prediction.SourcePath
            ?? throw new ArgumentException("The prediction has no source file (it was made from bytes, a stream or a tensor); render it with HeatmapOverlay and the image instead.", nameof(prediction));
        var image = ImageDecoder.DecodeRgb(source);
        var truth = groundTruthMaskPath is null ? null : ImageDecoder.DecodeGray(groundTruthMaskPath);
        return (image, ToImageGeometry(prediction.Map, image.Height, image.Width), truth);
    }
}

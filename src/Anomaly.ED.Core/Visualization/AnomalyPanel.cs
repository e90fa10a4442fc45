using Anomaly.ED.Data;
using Anomaly.ED.Scoring;

namespace Anomaly.ED.Visualization;

/// <summary>
/// A side-by-side figure for reviewing one result, left to right: the image, the heatmap overlay, the predicted mask
/// (when <see cref="VisualizationOptions.Threshold"/> is set) and the ground-truth mask (when given).
/// </summary>
internal static class AnomalyPanel
{
    /// <summary>
    /// Composes the panel: each tile has the image's size, tiles are separated by <see cref="VisualizationOptions.PanelGap"/>
    /// pixels of <see cref="VisualizationOptions.PanelGapColor"/>, masks are white on black.
    /// </summary>
    /// <param name="image">The image, RGB (3 channels) or grey (1 channel); not modified.</param>
    /// <param name="map">The anomaly map, of any size (resized bilinearly to the image).</param>
    /// <param name="groundTruth">An optional one-channel mask of the image's size (above 127 = defective).</param>
    /// <param name="options">How to draw; null for the defaults.</param>
    /// <returns>A new RGB image, (2 to 4) x image width plus gaps wide and the image's height tall.</returns>
    /// <exception cref="ArgumentException">An input or option is invalid, as for <see cref="HeatmapOverlay.Render"/>.</exception>
    public static ImageBuffer Render(ImageBuffer image, AnomalyMap map, ImageBuffer? groundTruth = null, VisualizationOptions? options = null)
    {
        options ??= new VisualizationOptions();
        var scene = MapScene.Create(image, map, groundTruth, options);
        var tiles = new List<ImageBuffer> { scene.Image, scene.Overlay() };
        if (scene.Predicted is not null)
        {
            tiles.Add(scene.PredictedTile());
        }

        if (scene.GroundTruth is not null)
        {
            tiles.Add(scene.GroundTruthTile());
        }

        return Concatenate(tiles, options.PanelGap, options.PanelGapColor);
    }

    private static ImageBuffer Concatenate(List<ImageBuffer> tiles, int gap, RgbColor gapColor)
    {
        var tileWidth = tiles[0].Width;
        var height = tiles[0].Height;
        var width = (long)(tiles.Count * tileWidth) + ((tiles.Count - 1) * (long)gap);
        if (width * height * 3 > Array.MaxLength)
        {
            throw new ArgumentException($"A panel of {tiles.Count} tiles of {height}x{tileWidth} is too large for one image.", "image");
        }

        var panel = new ImageBuffer((int)width, height, 3);
        var pixels = panel.Pixels;
        for (var i = 0; i < pixels.Length; i += 3)
        {
            pixels[i] = gapColor.R;
            pixels[i + 1] = gapColor.G;
            pixels[i + 2] = gapColor.B;
        }

        var rowBytes = tileWidth * 3;
        for (var t = 0; t < tiles.Count; t++)
        {
            var left = t * (tileWidth + gap);
            for (var y = 0; y < height; y++)
            {
                Array.Copy(tiles[t].Pixels, y * rowBytes, pixels, ((y * panel.Width) + left) * 3, rowBytes);
            }
        }

        return panel;
    }
}

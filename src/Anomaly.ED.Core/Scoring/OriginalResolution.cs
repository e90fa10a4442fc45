using Anomaly.ED.Data;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.Scoring;

/// <summary>
/// Carries a map at the model's input size back to an original image size without libtorch: the managed twin of the
/// TorchSharp detector's <c>MapAtOriginalResolution</c> (the map over the crop region of the resized image, the rest at
/// the map's minimum, then a bilinear resize with pixel-centre alignment), equal to it within float rounding.
/// </summary>
internal static class OriginalResolution
{
    public static AnomalyMap Map(ImageTransform transform, AnomalyMap map, int height, int width)
    {
        var (resizedHeight, resizedWidth) = transform.GetResizedSize(height, width);
        var crop = transform.GetCropBox(resizedHeight, resizedWidth);
        var canvas = new float[resizedHeight * resizedWidth];
        Array.Fill(canvas, map.Values.Min());
        for (var y = 0; y < crop.Height; y++)
        {
            Array.Copy(map.Values, y * map.Width, canvas, ((crop.Top + y) * resizedWidth) + crop.Left, crop.Width);
        }

        return MapResampler.Bilinear(new AnomalyMap(resizedHeight, resizedWidth, canvas), height, width);
    }
}

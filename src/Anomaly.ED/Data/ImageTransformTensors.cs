using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Data;

/// <summary>The tensors of an <see cref="ImageTransform"/> (kept apart from it so that the transform needs no libtorch).</summary>
internal static class ImageTransformTensors
{
    /// <summary>Transforms an RGB image to a normalised float32 tensor of shape (3, H, W).</summary>
    /// <param name="transform">The transform.</param>
    /// <param name="image">A decoded 3-channel image (<see cref="ImageDecoder.DecodeRgb(string)"/>).</param>
    /// <returns>A new CPU tensor.</returns>
    public static Tensor TransformImage(this ImageTransform transform, ImageBuffer image)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ImageTransform.RequireChannels(image, 3, "image", "ImageDecoder.DecodeRgb");
        var (h, w) = transform.GetOutputSize(image.Height, image.Width);
        var values = new float[3 * h * w];
        transform.WriteImage(image, values);
        return torch.tensor(values, [3, h, w]);
    }

    /// <summary>
    /// Transforms a one-channel mask to a binary float32 tensor of shape (1, H, W) with values 0 and 1;
    /// a null mask (normal image) gives zeros of the output size of an image of the given size.
    /// </summary>
    /// <param name="transform">The transform.</param>
    /// <param name="mask">The decoded mask, or null.</param>
    /// <param name="imageHeight">Height of the image the mask belongs to (used when <paramref name="mask"/> is null).</param>
    /// <param name="imageWidth">Width of the image the mask belongs to (used when <paramref name="mask"/> is null).</param>
    /// <returns>A new CPU tensor.</returns>
    public static Tensor TransformMask(this ImageTransform transform, ImageBuffer? mask, int imageHeight, int imageWidth)
    {
        ArgumentNullException.ThrowIfNull(transform);
        var (h, w) = transform.GetOutputSize(mask?.Height ?? imageHeight, mask?.Width ?? imageWidth);
        var values = new float[h * w];
        if (mask is not null)
        {
            transform.WriteMask(mask, values);
        }

        return torch.tensor(values, [1, h, w]);
    }
}

using Anomaly.ED.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Anomaly.ED.Tests.Export;

/// <summary>Runs an exported graph with ONNX Runtime on CPU: resized uint8 RGB images in, every output as a flat array.</summary>
internal static class OnnxTestRun
{
    public static Dictionary<string, Array> Run(InferenceSession session, IReadOnlyList<ImageBuffer> images)
    {
        int height = images[0].Height, width = images[0].Width;
        var pixels = new byte[images.Count * height * width * 3];
        for (var i = 0; i < images.Count; i++)
        {
            images[i].Pixels.CopyTo(pixels, i * height * width * 3);
        }

        var input = new DenseTensor<byte>(pixels, [images.Count, height, width, 3]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("image", input)]);
        return results.ToDictionary(
            r => r.Name,
            r => r.ElementType switch
            {
                TensorElementType.Bool => (Array)r.AsTensor<bool>().ToArray(),
                _ => r.AsTensor<float>().ToArray(),
            });
    }

    /// <summary>Random images of one size, the same for the same seed.</summary>
    public static ImageBuffer[] RandomImages(int count, int height, int width, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var pixels = new byte[height * width * 3];
            random.NextBytes(pixels);
            return new ImageBuffer(width, height, 3, pixels);
        }).ToArray();
    }
}

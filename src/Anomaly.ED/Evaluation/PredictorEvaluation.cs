using Anomaly.ED.Data;

namespace Anomaly.ED.Evaluation;

/// <summary>
/// Evaluates a test set with any predictor (an exported graph on ONNX Runtime, say): the images and masks are decoded
/// here with the loader's checks, the predictor scores the images at the model's resolution and the caller's mask
/// transform brings each mask to the maps' geometry, so both paths give the same report for the same maps.
/// </summary>
internal static class PredictorEvaluation
{
    public static EvaluationReport Run(
        ImageDataset testSet,
        Func<IReadOnlyList<ImageBuffer>, IReadOnlyList<AnomalyPrediction>> predict,
        Func<ImageBuffer, bool[]> transformMask,
        int batchSize,
        IProgress<int>? progress,
        Action<EvaluatedImage>? onImage,
        CancellationToken cancellationToken)
    {
        EvaluationReportBuilder? builder = null;
        var done = 0;
        foreach (var chunk in testSet.Items.Chunk(batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var images = new ImageBuffer[chunk.Length];
            var masks = new ImageBuffer?[chunk.Length];
            Parallel.For(0, chunk.Length, new ParallelOptions { CancellationToken = cancellationToken }, i => (images[i], masks[i]) = Decode(chunk[i]));
            var predictions = predict(images);
            if (predictions.Count != chunk.Length)
            {
                throw new InvalidOperationException($"The predictor returned {predictions.Count} predictions for {chunk.Length} images.");
            }

            for (var i = 0; i < chunk.Length; i++)
            {
                var (item, prediction) = (chunk[i], predictions[i]);
                var map = prediction.Map;
                builder ??= new EvaluationReportBuilder(map.Height, map.Width);

                // A normal image without a mask is all normal, as the loader's zero mask.
                var mask = masks[i] is { } decoded ? transformMask(decoded) : new bool[builder.Height * builder.Width];
                builder.Add(new EvaluationSample(item.ImagePath, item.DefectType, item.IsDefective, prediction.Score, prediction.UnsmoothedMap?.Values, map.Values, mask));
                onImage?.Invoke(new EvaluatedImage(item, prediction, mask));
                progress?.Report(++done);
            }
        }

        return builder?.Build(cancellationToken) ?? throw new ArgumentException($"Test set '{testSet.Name}' is empty.", nameof(testSet));
    }

    // The loader's check: a mask must have its image's size.
    private static (ImageBuffer Image, ImageBuffer? Mask) Decode(DatasetItem item)
    {
        var image = ImageDecoder.DecodeRgb(item.ImagePath);
        if (item.MaskPath is null)
        {
            return (image, null);
        }

        var mask = ImageDecoder.DecodeGray(item.MaskPath);
        return mask.Width == image.Width && mask.Height == image.Height
            ? (image, mask)
            : throw new DatasetException(item.MaskPath, $"Mask of size {mask.Width}x{mask.Height} does not match its image '{item.ImagePath}' ({image.Width}x{image.Height})");
    }
}

using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Export;
using Anomaly.ED.Methods;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Export;

/// <summary>
/// The end-to-end check every method's export must pass: ONNX Runtime on CPU against the library on the same resized
/// images, the map within 1e-4 of its range, the score within 1e-5 relative, the calibrated outputs and decisions, and a
/// batch equal to batches of one.
/// </summary>
internal static class OnnxParity
{
    /// <summary>Calibrates the model between the scores of <paramref name="dataset"/>'s first four images, exports it and
    /// compares.</summary>
    public static void AssertExportMatchesLibrary(DetectorModel model, ImageDataset dataset, string path, ITestOutputHelper log, string configuration)
    {
        var images = ResizedImages(model, dataset, 4);
        var (expectedMaps, expectedScores) = LibraryScores(model, images);
        model.Calibration = CalibrationBetween(expectedScores);

        OnnxExporter.Export(model, path).Should().BeNull("a small model is one file");
        using var session = new InferenceSession(path);
        var batch = OnnxTestRun.Run(session, images);

        var maps = (float[])batch[OnnxPostProcessing.MapOutput];
        var scores = (float[])batch[OnnxPostProcessing.ScoreOutput];
        var pixels = model.Height * model.Width;
        maps.Should().HaveCount(images.Length * pixels);
        foreach (var image in Compare(pixels, expectedMaps, expectedScores, batch))
        {
            log.WriteLine($"{configuration} {image}");
            image.Range.Should().BeGreaterThan(0, "a flat map would make the comparison meaningless");
            (image.WorstDifference / image.Range).Should().BeLessThanOrEqualTo(1e-4f, $"image {image.Index}'s map");
            image.ScoreDifference.Should().BeLessThanOrEqualTo(1e-5f, $"image {image.Index}'s score");
        }

        var calibration = model.Calibration;
        ((float[])batch[OnnxPostProcessing.NormalizedScoreOutput]).Should().Equal(scores.Select(calibration.Normalize), "the normalisation is computed in double as the library does");
        ((bool[])batch[OnnxPostProcessing.DecisionOutput]).Should().Equal(expectedScores.Select(s => calibration.IsAnomalous(s)));

        for (var i = 0; i < images.Length; i++)
        {
            var single = OnnxTestRun.Run(session, [images[i]]);
            var singleMap = (float[])single[OnnxPostProcessing.MapOutput];
            var worst = singleMap.Select((v, j) => Math.Abs(v - maps[i * pixels + j])).Max();
            log.WriteLine($"{configuration} image {i}: batch of 1 vs batch of 4, map max |diff| {worst:E2}, score {((float[])single[OnnxPostProcessing.ScoreOutput])[0]:G9} vs {scores[i]:G9}");
            // ONNX Runtime may block its matrix products differently for other batch sizes: the parity tolerances, not bit equality.
            var inBatch = maps.AsSpan(i * pixels, pixels).ToArray();
            worst.Should().BeLessThanOrEqualTo(1e-4f * Math.Max(inBatch.Max() - inBatch.Min(), float.Epsilon), $"image {i} alone gives the map it gets in a batch");
            ((float[])single[OnnxPostProcessing.ScoreOutput])[0].Should().BeApproximately(scores[i], Math.Abs(scores[i]) * 1e-5f);
        }
    }

    /// <summary>Per image, the graph's map and score (a batch's outputs, <see cref="OnnxTestRun.Run"/>) against the library's.</summary>
    public static IEnumerable<ImageComparison> Compare(int pixels, float[] expectedMaps, float[] expectedScores, Dictionary<string, Array> batch)
    {
        var maps = (float[])batch[OnnxPostProcessing.MapOutput];
        var scores = (float[])batch[OnnxPostProcessing.ScoreOutput];
        for (var i = 0; i < expectedScores.Length; i++)
        {
            yield return new ImageComparison(i, expectedMaps.AsSpan(i * pixels, pixels).ToArray(), maps.AsSpan(i * pixels, pixels).ToArray(), expectedScores[i], scores[i]);
        }
    }

    /// <summary>Test images resized (and cropped) to the model's input size, as a client sends them to the graph.</summary>
    public static ImageBuffer[] ResizedImages(DetectorModel model, ImageDataset dataset, int count) =>
        dataset.Items.Take(count).Select(item => Resized(model, ImageDecoder.DecodeRgb(item.ImagePath))).ToArray();

    private static ImageBuffer Resized(DetectorModel model, ImageBuffer image)
    {
        var resized = model.Transform.ResizeImage(image);
        var box = model.Transform.GetCropBox(resized.Height, resized.Width);
        var pixels = new byte[box.Height * box.Width * 3];
        for (var y = 0; y < box.Height; y++)
        {
            Array.Copy(resized.Pixels, ((box.Top + y) * resized.Width + box.Left) * 3, pixels, y * box.Width * 3, box.Width * 3);
        }

        return new ImageBuffer(box.Width, box.Height, 3, pixels);
    }

    /// <summary>The library's smoothed maps and image scores for the images.</summary>
    public static (float[] Maps, float[] Scores) LibraryScores(DetectorModel model, IReadOnlyList<ImageBuffer> images)
    {
        using var scope = NewDisposeScope();
        using var maps = model.Score(stack(images.Select(model.Transform.TransformImage).ToArray()));
        return (maps.Smoothed.cpu().data<float>().ToArray(), maps.ImageScores.cpu().data<float>().ToArray());
    }

    /// <summary>A threshold halfway between the two middle scores, so that the decisions split, with a normalisation over them.</summary>
    public static Calibration CalibrationBetween(float[] scores)
    {
        var sorted = scores.Order().ToArray();
        var threshold = (sorted[sorted.Length / 2 - 1] + (double)sorted[sorted.Length / 2]) / 2;
        return new Calibration(threshold, new ScoreNormalization(threshold, sorted[0], sorted[^1]));
    }
}

/// <summary>One image's map and score from the library (expected) and from the exported graph (actual).</summary>
internal sealed record ImageComparison(int Index, float[] ExpectedMap, float[] ActualMap, float ExpectedScore, float ActualScore)
{
    public float Range => ExpectedMap.Max() - ExpectedMap.Min();

    public float WorstDifference => ActualMap.Zip(ExpectedMap, (a, b) => Math.Abs(a - b)).Max();

    public float ScoreDifference => Math.Abs(ActualScore - ExpectedScore) / Math.Abs(ExpectedScore);

    /// <summary>Pearson's correlation of the two maps.</summary>
    public double Correlation
    {
        get
        {
            double meanA = ActualMap.Average(), meanB = ExpectedMap.Average();
            double covariance = 0, varianceA = 0, varianceB = 0;
            for (var i = 0; i < ActualMap.Length; i++)
            {
                covariance += (ActualMap[i] - meanA) * (ExpectedMap[i] - meanB);
                varianceA += (ActualMap[i] - meanA) * (ActualMap[i] - meanA);
                varianceB += (ExpectedMap[i] - meanB) * (ExpectedMap[i] - meanB);
            }

            return covariance / Math.Sqrt(varianceA * varianceB);
        }
    }

    public override string ToString() =>
        $"image {Index}: map max |diff| {WorstDifference:E2} = {WorstDifference / Range:E2} of the range {Range:E2}, correlation {Correlation:F4}; score {ExpectedScore:G9} vs {ActualScore:G9}, relative {ScoreDifference:E2}";
}

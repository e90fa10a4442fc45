using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.OnnxRuntime;
using Anomaly.ED.Tests.Export;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.OnnxRuntime;

/// <summary>
/// <see cref="EvaluationReport.Compute"/> with an exported graph on ONNX Runtime against <see cref="EdDetector.Evaluate(ImageDataset, IProgress{int}?, CancellationToken)"/>
/// on the same test set, its images and masks at 96x80 so that the masks go through the resize (and the crop): the same
/// masks, the same metrics within the maps' float rounding, the unsmoothed pixel AUROC included.
/// </summary>
public sealed class OnnxDetectorEvaluationTests(EdExportFixture fixture, ITestOutputHelper log) : IClassFixture<EdExportFixture>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnExportEvaluatesAsTheModel(bool keepAspectRatio)
    {
        using var fitted = keepAspectRatio ? EdExportFixture.NewBuilder().KeepAspectRatio().Build() : null;
        fitted?.Fit(fixture.Training);
        var library = fitted ?? fixture.Detector;
        var path = fixture.NewTempPath("model.onnx");
        library.ExportOnnx(path);
        using var onnx = OnnxDetector.Load(path);
        var testSet = Resized(fixture.Test, 96, 80);

        var expectedImages = new List<EvaluatedImage>();
        var expected = library.Evaluate(testSet, null, expectedImages.Add);
        var actualImages = new List<EvaluatedImage>();
        var progress = new List<int>();
        var actual = EvaluationReport.Compute(
            testSet,
            images => onnx.Predict(images, new PredictOptions { IncludeUnsmoothedMap = true }),
            onnx.TransformMask,
            batchSize: 3,
            new SynchronousProgress(progress.Add),
            actualImages.Add);

        progress.Should().Equal(Enumerable.Range(1, testSet.Count));
        actualImages.Select(i => i.Item).Should().Equal(testSet.Items);
        for (var i = 0; i < testSet.Count; i++)
        {
            actualImages[i].Mask.Should().Equal(expectedImages[i].Mask, $"{testSet.Items[i].ImagePath}'s mask goes through the model's transform");
        }

        actualImages.Sum(i => i.Mask.Count(m => m)).Should().BeGreaterThan(0, "the defects' masks mark pixels, so a wrong geometry shows");
        (actual.MapHeight, actual.MapWidth).Should().Be((expected.MapHeight, expected.MapWidth));
        foreach (var (e, a) in expected.Subsets.Zip(actual.Subsets))
        {
            log.WriteLine($"{e.Subset}: image AUROC {e.ImageAuroc} / {a.ImageAuroc}, pixel AUROC {e.PixelAuroc} / {a.PixelAuroc}, AUPRO {e.Aupro} / {a.Aupro}, AP {e.PixelAveragePrecision} / {a.PixelAveragePrecision}");
            a.Subset.Should().Be(e.Subset);
            a.PixelAuroc.Should().NotBeNull("the graph's unsmoothed map gives the reference's pixel AUROC");
            foreach (var (metric, x, y) in new[]
            {
                ("image AUROC", e.ImageAuroc, a.ImageAuroc), ("pixel AUROC", e.PixelAuroc, a.PixelAuroc),
                ("smoothed pixel AUROC", e.PixelAurocSmoothed, a.PixelAurocSmoothed), ("AUPRO", e.Aupro, a.Aupro),
                ("pixel AP", e.PixelAveragePrecision, a.PixelAveragePrecision), ("image F1-max", e.ImageF1Max, a.ImageF1Max),
            })
            {
                y.Should().BeApproximately(x!.Value, 1e-4, $"{e.Subset} {metric}");
            }

            a.ImageF1Threshold!.Value.Should().BeApproximately(e.ImageF1Threshold!.Value, Math.Abs(e.ImageF1Threshold.Value) * 1e-5);
        }
    }

    [Fact]
    public void WithoutTheUnsmoothedMapThePixelAurocIsUndefinedAndNamed()
    {
        var path = fixture.NewTempPath("model.onnx");
        fixture.Detector.ExportOnnx(path);
        using var onnx = OnnxDetector.Load(path);

        var report = EvaluationReport.Compute(fixture.Test, images => onnx.Predict(images), onnx.TransformMask);

        report.Overall.PixelAuroc.Should().BeNull();
        report.Overall.Undefined.Should().Contain(u => u.Metric == MetricNames.PixelAuroc && u.Reason.Contains("anomaly maps missing", StringComparison.Ordinal));
        report.Overall.Aupro.Should().NotBeNull("the smoothed maps are all the other pixel metrics need");
    }

    [Fact]
    public void APredictorThatLosesImagesOrAMaskOfAnotherSizeIsRefused()
    {
        var path = fixture.NewTempPath("model.onnx");
        fixture.Detector.ExportOnnx(path);
        using var onnx = OnnxDetector.Load(path);

        var lost = () => EvaluationReport.Compute(fixture.Test, images => onnx.Predict(images.Skip(1).ToArray()), onnx.TransformMask);
        lost.Should().Throw<InvalidOperationException>().WithMessage("*predictions for*images*");

        var item = fixture.Test.Items.First(i => i.MaskPath is not null);
        var mask = fixture.NewTempPath("small_mask.png");
        ImageEncoder.WritePng(new ImageBuffer(32, 32, 1), mask);
        var mismatched = () => EvaluationReport.Compute(new ImageDataset("mismatched", [item with { MaskPath = mask }]), images => onnx.Predict(images), onnx.TransformMask);
        mismatched.Should().Throw<DatasetException>().Which.Path.Should().Be(mask);
    }

    // Copies of the test set at another size: images bilinear, masks nearest (they stay binary).
    private ImageDataset Resized(ImageDataset dataset, int width, int height)
    {
        var folder = Path.GetDirectoryName(fixture.NewTempPath("x"))!;
        string Copy(string file, ResampleFilter filter, bool gray)
        {
            var target = Path.Combine(folder, $"{Path.GetFileName(Path.GetDirectoryName(file))}-{Path.GetFileName(file)}");
            var image = gray ? ImageDecoder.DecodeGray(file) : ImageDecoder.DecodeRgb(file);
            ImageEncoder.WritePng(ImageResampler.Resize(image, width, height, filter), target);
            return target;
        }

        return new ImageDataset(
            dataset.Name + $"/{width}x{height}",
            dataset.Items.Select(i => i with { ImagePath = Copy(i.ImagePath, ResampleFilter.Bilinear, false), MaskPath = i.MaskPath is null ? null : Copy(i.MaskPath, ResampleFilter.Nearest, true) }));
    }

    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}

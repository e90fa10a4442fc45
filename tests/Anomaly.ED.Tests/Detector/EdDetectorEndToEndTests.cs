using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Detector;

[Collection(DetectorCollection.Name)]
public sealed class EdDetectorEndToEndTests
{
    private readonly TinyDetectorFixture fixture;
    private readonly ITestOutputHelper output;

    public EdDetectorEndToEndTests(TinyDetectorFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
    }

    [Fact]
    public void DefectiveImagesScoreHigherAndMapsPeakInsideDefects()
    {
        var report = fixture.Detector.Evaluate(fixture.Test);
        output.WriteLine(report.ToTable());
        report.Overall.ImageAuroc.Should().BeGreaterThan(0.8, "defects must outrank normal images");
        report.Overall.PixelAuroc.Should().BeGreaterThan(0.8, "maps must be higher inside defects");

        var defective = fixture.Test.Items.Where(i => i.IsDefective).ToArray();
        var peaksInside = 0;
        foreach (var item in defective)
        {
            var prediction = fixture.Detector.Predict(item.ImagePath);
            var mask = ImageDecoder.DecodeGray(item.MaskPath!);
            var peak = Array.IndexOf(prediction.Map.Values, prediction.Map.Values.Max());
            var (y, x) = (peak / prediction.Map.Width, peak % prediction.Map.Width);
            peaksInside += NearMask(mask, y, x, radius: 6) ? 1 : 0;
        }

        output.WriteLine($"map peaks within 6 px of the defect: {peaksInside}/{defective.Length}");
        peaksInside.Should().BeGreaterThanOrEqualTo((int)Math.Ceiling(0.75 * defective.Length));
    }

    [Fact]
    public void FitReportsWhatItDid()
    {
        fixture.FitResult.EpochsCompleted.Should().Be(30);
        fixture.FitResult.FeaturesCached.Should().BeTrue();
        fixture.FitResult.FinalLosses.Should().HaveCount(2);
        fixture.FitResult.FinalLosses.Should().OnlyContain(l => double.IsFinite(l.Reconstruction) && l.Reconstruction > 0);
        fixture.Detector.IsFitted.Should().BeTrue();
    }

    [Fact]
    public void BatchedAndSinglePredictionsAgree()
    {
        var paths = fixture.Test.Items.Take(5).Select(i => i.ImagePath).ToArray();
        var batched = fixture.Detector.Predict(paths, new PredictOptions { BatchSize = 4 });
        for (var i = 0; i < paths.Length; i++)
        {
            var single = fixture.Detector.Predict(paths[i]);
            single.Score.Should().BeApproximately(batched[i].Score, 1e-5f);
            single.SourcePath.Should().Be(paths[i]);
        }

        var bytes = fixture.Detector.Predict(File.ReadAllBytes(paths[0]));
        bytes.Score.Should().BeApproximately(batched[0].Score, 1e-5f);
    }

    [Fact]
    public void DecodedImagesPredictAndRenderAsTheirFiles()
    {
        var paths = fixture.Test.Items.Take(3).Select(i => i.ImagePath).ToArray();
        var fromFiles = fixture.Detector.Predict(paths);
        var images = paths.Select(ImageDecoder.DecodeRgb).ToArray();
        var decoded = fixture.Detector.Predict(images, new PredictOptions { BatchSize = 3 });

        decoded.Select(p => p.Score).Should().Equal(fromFiles.Select(p => p.Score), (a, b) => Math.Abs(a - b) < 1e-5f);
        decoded.Should().OnlyContain(p => p.SourcePath == null);
        var heatmaps = new Anomaly.ED.Visualization.DetectorHeatmaps(fixture.Detector);
        heatmaps.RenderOverlay(images[0], fromFiles[0]).Pixels.Should().Equal(heatmaps.RenderOverlay(fromFiles[0]).Pixels);
        fixture.Invoking(f => f.Detector.Predict([new ImageBuffer(8, 8, 1)])).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void ConcurrentPredictionsEqualSequentialOnes()
    {
        var paths = fixture.Test.Items.Select(i => i.ImagePath).ToArray();
        var sequential = paths.Select(p => fixture.Detector.Predict(p).Score).ToArray();
        var concurrent = new float[paths.Length];
        Parallel.For(0, paths.Length * 3, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            var i = k % paths.Length;
            concurrent[i] = fixture.Detector.Predict(paths[i]).Score;
        });

        concurrent.Should().Equal(sequential, (a, b) => Math.Abs(a - b) <= 1e-5f);
    }

    [Fact]
    public void MapsCanBeReturnedAtOriginalResolution()
    {
        var path = fixture.NewTempPath("wide.png");
        var image = new ImageBuffer(96, 80, 3);
        new Random(3).NextBytes(image.Pixels);
        ImageEncoder.WritePng(image, path);
        var prediction = fixture.Detector.Predict(path, new PredictOptions { MapAtOriginalResolution = true });
        (prediction.Map.Height, prediction.Map.Width).Should().Be((80, 96));
        fixture.Detector.Predict(path).Map.Height.Should().Be(64);
    }

    [Fact]
    public void CalibrationFromNormalsDecidesAndNormalises()
    {
        using var detector = TinyDetectorFixture.NewBuilder(epochs: 1).Build();
        detector.Fit(fixture.Training);
        var normals = new ImageDataset("normals", fixture.Test.Items.Where(i => !i.IsDefective));
        var calibration = detector.CalibrateFromNormals(normals, 0.25);
        detector.Calibration.Should().Be(calibration);
        var prediction = detector.Predict(fixture.Test.Items.First(i => i.IsDefective).ImagePath);
        prediction.IsAnomalous.Should().Be(prediction.Score >= calibration.Threshold);
        prediction.NormalizedScore.Should().NotBeNull().And.BeInRange(0f, 1f);
    }

    private static bool NearMask(ImageBuffer mask, int y, int x, int radius)
    {
        for (var dy = -radius; dy <= radius; dy++)
        {
            for (var dx = -radius; dx <= radius; dx++)
            {
                var (yy, xx) = (y + dy, x + dx);
                if (yy >= 0 && yy < mask.Height && xx >= 0 && xx < mask.Width && mask[yy, xx, 0] > 127)
                {
                    return true;
                }
            }
        }

        return false;
    }
}

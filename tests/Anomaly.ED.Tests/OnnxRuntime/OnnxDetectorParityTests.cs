using Anomaly.ED.Data;
using Anomaly.ED.OnnxRuntime;
using Anomaly.ED.Tests.Export;
using Anomaly.ED.Tests.TestSupport;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.OnnxRuntime;

/// <summary>
/// <see cref="OnnxDetector"/> against <see cref="EdDetector"/> on the same image files (the generated quick-start data
/// at 64x64, two larger non-square copies, and the golden pipeline inputs: grey, RGBA, BMP and non-square sources that
/// exercise decoding, the resize, the crop and maps at the original resolution): maps (and the unsmoothed maps evaluation uses) within 1e-4 of their range,
/// scores within 1e-5 relative, the same decisions, batches of 4 as batches of 1 within the same tolerances.
/// </summary>
public sealed class OnnxDetectorParityTests(EdExportFixture fixture, ITestOutputHelper log) : IClassFixture<EdExportFixture>
{
    public static TheoryData<string> Configurations => ["ed", "fod", "ed-short-side-crop", "hetmm-full", "hetmm-pts"];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void TheOnnxRuntimeDetectorPredictsWhatTheLibraryPredicts(string configuration)
    {
        using var library = Builder(configuration).Build();
        library.Fit(fixture.Training);
        var images = Images();
        var scores = library.Predict(images).Select(p => p.Score).ToArray();
        library.SetCalibration(OnnxParity.CalibrationBetween(scores));
        var path = fixture.NewTempPath("model.onnx");
        library.ExportOnnx(path);
        using var onnx = OnnxDetector.Load(path);
        onnx.Method.Should().Be(library.Method);
        onnx.Calibration.Should().Be(library.Calibration);

        foreach (var original in new[] { false, true })
        {
            var expected = library.Predict(images, new PredictOptions { BatchSize = 1, MapAtOriginalResolution = original, IncludeUnsmoothedMap = true });
            var batched = onnx.Predict(images, new PredictOptions { BatchSize = 4, MapAtOriginalResolution = original, IncludeUnsmoothedMap = true });
            var single = onnx.Predict(images, new PredictOptions { BatchSize = 1, MapAtOriginalResolution = original });
            for (var i = 0; i < images.Count; i++)
            {
                var (e, a) = (expected[i], batched[i]);
                var range = e.Map.Values.Max() - e.Map.Values.Min();
                var worst = a.Map.Values.Zip(e.Map.Values, (x, y) => Math.Abs(x - y)).Max();
                var relative = Math.Abs(a.Score - e.Score) / Math.Abs(e.Score);
                log.WriteLine($"{configuration} {Path.GetFileName(images[i])} original={original}: map {e.Map.Height}x{e.Map.Width}, max |diff| {worst / range:E2} of range; score relative {relative:E2}");
                a.SourcePath.Should().Be(e.SourcePath);
                (a.Map.Height, a.Map.Width).Should().Be((e.Map.Height, e.Map.Width));
                range.Should().BeGreaterThan(0);
                (worst / range).Should().BeLessThanOrEqualTo(1e-4f, $"{images[i]}'s map");
                relative.Should().BeLessThanOrEqualTo(1e-5f, $"{images[i]}'s score");
                a.IsAnomalous.Should().Be(e.IsAnomalous, $"{images[i]}'s decision");
                var (eu, au) = (e.UnsmoothedMap!, a.UnsmoothedMap!);
                (au.Height, au.Width).Should().Be((a.Map.Height, a.Map.Width));
                var unsmoothedRange = eu.Values.Max() - eu.Values.Min();
                (au.Values.Zip(eu.Values, (x, y) => Math.Abs(x - y)).Max() / unsmoothedRange).Should().BeLessThanOrEqualTo(1e-4f, $"{images[i]}'s unsmoothed map");
                a.NormalizedScore!.Value.Should().BeApproximately(e.NormalizedScore!.Value, 1e-5f);
                // ONNX Runtime may block its products differently per batch size: the parity tolerances, not bit equality.
                single[i].Score.Should().BeApproximately(a.Score, Math.Abs(a.Score) * 1e-5f, "a batch of 4 scores each image as a batch of 1 does");
                (single[i].Map.Values.Zip(a.Map.Values, (x, y) => Math.Abs(x - y)).Max() / range).Should().BeLessThanOrEqualTo(1e-4f);
                single[i].UnsmoothedMap.Should().BeNull("only asked for, it is not carried by every prediction");
            }

            expected.Select(p => p.IsAnomalous).Distinct().Should().HaveCount(2, "the threshold splits the images, so the decisions are tested both ways");
        }

        var bytes = onnx.Predict(File.ReadAllBytes(images[0]));
        bytes.Score.Should().Be(onnx.Predict(images[0]).Score);
        bytes.SourcePath.Should().BeNull();
    }

    [Fact]
    public void PredictionsRunConcurrentlyAndDisposeWaitsForThem()
    {
        var path = fixture.NewTempPath("model.onnx");
        fixture.Detector.ExportOnnx(path);
        var onnx = OnnxDetector.Load(path);
        var images = Images();
        // ONNX Runtime may block its products differently per batch size (a last-bit difference), so each concurrent run
        // is compared with a run of its own batch size alone.
        var expected = Enumerable.Range(1, 3).ToDictionary(b => b, b => onnx.Predict(images, new PredictOptions { BatchSize = b }).Select(p => p.Score).ToArray());

        var results = new float[8][];
        Parallel.For(0, results.Length, i => results[i] = onnx.Predict(images, new PredictOptions { BatchSize = 1 + (i % 3) }).Select(p => p.Score).ToArray());
        for (var i = 0; i < results.Length; i++)
        {
            results[i].Should().Equal(expected[1 + (i % 3)], $"run {i} (batch {1 + (i % 3)}) ran beside seven others");
        }

        onnx.Dispose();
        var afterDispose = () => onnx.Predict(images[0]);
        afterDispose.Should().Throw<ObjectDisposedException>();
    }

    private List<string> Images()
    {
        var files = fixture.Test.Items.Select(i => i.ImagePath).ToList();
        var folder = Path.GetDirectoryName(fixture.NewTempPath("x"))!;
        foreach (var (file, width, height) in new[] { (files[0], 96, 80), (files[^1], 70, 110) })
        {
            var larger = Path.Combine(folder, $"{width}x{height}-{Path.GetFileName(file)}");
            ImageEncoder.WritePng(ImageResampler.Resize(ImageDecoder.DecodeRgb(file), width, height, ResampleFilter.Bilinear), larger);
            files.Add(larger);
        }

        files.AddRange(new[] { "gray_280x280.png", "rgba_200x300.png", "rgb_300x260.png", "rgb_320x240.bmp" }.Select(name => GoldenData.Copied(Path.Combine("pipeline", "images", name))));
        return files;
    }

    private static EdDetectorBuilder Builder(string configuration)
    {
        var builder = EdExportFixture.NewBuilder();
        return configuration switch
        {
            "ed" => builder,
            "fod" => builder.UseFod(),
            "ed-short-side-crop" => builder.KeepAspectRatio(),
            "hetmm-full" => builder.UseHetmm().WithBackbone("resnet18"),
            "hetmm-pts" => builder.UseHetmm("pill", templateSheets: 2).WithBackbone("resnet18"),
            _ => throw new ArgumentOutOfRangeException(nameof(configuration), configuration, null),
        };
    }
}

using Anomaly.ED.Evaluation;
using Anomaly.ED.Formats;
using Anomaly.ED.Methods.Ed.Scoring;
using Anomaly.ED.Scoring;
using Anomaly.ED.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Scoring;

/// <summary>Post-processing and metrics against golden/pipeline/postprocess_metrics.safetensors (README section 3).</summary>
public sealed class PostProcessingParityTests : IDisposable
{
    private const double MapTolerance = 1e-6;
    private const double MetricFromMapsTolerance = 1e-9;
    private const double MetricEndToEndTolerance = 1e-6;

    private readonly SafetensorsFile golden = SafetensorsFile.Open(GoldenData.Copied("pipeline/postprocess_metrics.safetensors"));
    private readonly ITestOutputHelper output;

    public PostProcessingParityTests(ITestOutputHelper output) => this.output = output;

    public void Dispose() => golden.Dispose();

    [Fact]
    public void GaussianKernelEqualsScipy()
    {
        var expected = golden.ReadArray<double>("gauss_kernel_sigma4");
        var smoother = new GaussianMapSmoother(4.0);
        smoother.Radius.Should().Be(16);
        for (var i = 0; i < expected.Length; i++)
        {
            // Equal to within an ulp or two: numpy's exp and .NET's Math.Exp may round differently.
            smoother.Weights[i].Should().BeApproximately(expected[i], 4e-17, $"tap {i - 16}");
        }
    }

    [Fact]
    public void MapsEqualReference()
    {
        using var scope = NewDisposeScope();
        var generator = new AnomalyMapGenerator(256, 256, new GaussianMapSmoother());
        var l0 = golden.ReadTensor("scores.l0");
        var l1 = golden.ReadTensor("scores.l1");

        var up0 = generator.Combine(new[] { l0 });
        var up1 = generator.Combine(new[] { l1 });
        var maps = generator.Generate(new[] { l0, l1 });

        Report("upsampled.l0", CompactGolden.AssertClose(golden, "upsampled.l0", up0, MapTolerance));
        Report("upsampled.l1", CompactGolden.AssertClose(golden, "upsampled.l1", up1, MapTolerance));
        Report("combined", CompactGolden.AssertClose(golden, "combined", maps.Combined, MapTolerance));
        Report("smoothed", CompactGolden.AssertClose(golden, "smoothed", maps.Smoothed, MapTolerance));
        TensorAssert.AllClose(maps.Smoothed[6], golden.ReadTensor("smoothed.image6"), MapTolerance, 0, "smoothed.image6");
        TensorAssert.AllClose(maps.ImageScores, golden.ReadTensor("image_scores"), MapTolerance, 0, "image_scores");
    }

    [Fact]
    public void MetricsEqualReferenceEndToEnd()
    {
        using var scope = NewDisposeScope();
        var generator = new AnomalyMapGenerator(256, 256, new GaussianMapSmoother());
        var maps = generator.Generate(new[] { golden.ReadTensor("scores.l0"), golden.ReadTensor("scores.l1") });
        var masks = CompactGolden.UnpackBits(golden.ReadArray<byte>("gt_masks.packbits"), 256);
        var labels = golden.ReadArray<long>("labels").Select(l => l == 1).ToArray();
        var combined = maps.Combined.data<float>().ToArray();
        var smoothed = maps.Smoothed.data<float>().ToArray();
        var imageScores = maps.ImageScores.data<float>().ToArray();

        Check("pixel_auroc", BinaryMetrics.Auroc(combined, masks), MetricEndToEndTolerance);
        Check("pixel_auroc_smoothed", BinaryMetrics.Auroc(smoothed, masks), MetricEndToEndTolerance);
        Check("image_auroc", BinaryMetrics.Auroc(imageScores, labels), MetricEndToEndTolerance);
        Check("pixel_ap", BinaryMetrics.AveragePrecision(smoothed, masks), MetricEndToEndTolerance);
        Check("pixel_ap_unsmoothed", BinaryMetrics.AveragePrecision(combined, masks), MetricEndToEndTolerance);
        var imageF1 = BinaryMetrics.F1Max(imageScores, labels);
        Check("image_f1_max", imageF1.F1, MetricEndToEndTolerance);
        Check("image_f1_threshold", imageF1.Threshold, MetricEndToEndTolerance);
        var pixelF1 = BinaryMetrics.F1Max(smoothed, masks);
        Check("pixel_f1_max", pixelF1.F1, MetricEndToEndTolerance);
        Check("pixel_f1_threshold", pixelF1.Threshold, MetricEndToEndTolerance);
        Check("aupro_0.3", Aupro.Compute(smoothed, masks, 256, 256, 0.3), MetricEndToEndTolerance);
        Check("aupro_1.0", Aupro.Compute(smoothed, masks, 256, 256, 1.0), MetricEndToEndTolerance);
    }

    [Fact]
    public void MetricsEqualReferenceOnStoredMaps()
    {
        // Image 6 is stored whole; its metrics are exact functions of the map.
        var map = golden.ReadArray<float>("smoothed.image6");
        var masks = CompactGolden.UnpackBits(golden.ReadArray<byte>("gt_masks.packbits"), 256).AsSpan(6 * 65536, 65536).ToArray();
        var imageScores = golden.ReadArray<float>("image_scores");
        var labels = golden.ReadArray<long>("labels").Select(l => l == 1).ToArray();

        Check("image_auroc", BinaryMetrics.Auroc(imageScores, labels), MetricFromMapsTolerance);
        var f1 = BinaryMetrics.F1Max(imageScores, labels);
        Check("image_f1_max", f1.F1, MetricFromMapsTolerance);
        Check("image_f1_threshold", f1.Threshold, MetricFromMapsTolerance);

        // Sanity on one image: AUROC in (0.5, 1] and AUPRO positive, computed without error on a border-touching region.
        BinaryMetrics.Auroc(map, masks).Should().BeInRange(0.5, 1.0);
        Aupro.Compute(map, masks, 256, 256).Should().BeInRange(0.0, 1.0);
    }

    [Fact]
    public void TiedScoresFollowTheRankFormula()
    {
        var scores = golden.ReadArray<float>("ties.scores");
        var labels = golden.ReadArray<long>("ties.labels").Select(l => l == 1).ToArray();
        Check("ties.auroc", BinaryMetrics.Auroc(scores, labels), MetricFromMapsTolerance);
        Check("ties.ap", BinaryMetrics.AveragePrecision(scores, labels), MetricFromMapsTolerance);
        var f1 = BinaryMetrics.F1Max(scores, labels);
        Check("ties.f1_max", f1.F1, MetricFromMapsTolerance);
        Check("ties.f1_threshold", f1.Threshold, MetricFromMapsTolerance);
    }

    private void Check(string name, double actual, double tolerance)
    {
        var expected = golden.ReadArray<double>(name)[0];
        output.WriteLine($"{name}: {actual:R} (golden {expected:R}, |diff| {Math.Abs(actual - expected):G3})");
        actual.Should().BeApproximately(expected, tolerance, name);
    }

    private void Report(string name, double maxDiff) => output.WriteLine($"{name}: max |diff| on the stored band {maxDiff:G3}");
}

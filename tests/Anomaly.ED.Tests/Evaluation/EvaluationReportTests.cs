using Anomaly.ED.Evaluation;
using Anomaly.ED.Scoring;

namespace Anomaly.ED.Tests.Evaluation;

public sealed class EvaluationReportTests
{
    private const double Exact = 1e-12;

    [Fact]
    public void OverallMetricsEqualTheHandComputedValues()
    {
        var report = SyntheticEvaluationSet.Builder(SyntheticEvaluationSet.Create()).Build();
        var overall = report.Overall;

        overall.Subset.Should().Be(EvaluationReport.OverallName);
        (overall.Images, overall.DefectiveImages, overall.NormalImages).Should().Be((6, 4, 2));

        // Image scores: normals 0.2, 0.3; defective 0.9, 0.25, 0.8, 0.7. 7 of 8 pairs are ordered correctly.
        overall.ImageAuroc.Should().Be(0.875);

        // Descending 0.9 P, 0.8 P, 0.7 P, 0.3 N, 0.25 P: F1 at 0.25 is 2 * 0.8 * 1 / 1.8 = 8/9, above 6/7 at 0.7.
        overall.ImageF1Max!.Value.Should().BeApproximately(8.0 / 9.0, Exact);
        overall.ImageF1Threshold.Should().Be(0.25f);

        // 14 defective pixels (4 at 1.0, 9 at 0.5, 1 at 0.15) against 370 normal ones, of which 64 (0.2) outrank the 0.15 pixel.
        overall.PixelAurocSmoothed!.Value.Should().BeApproximately(5116.0 / 5180.0, Exact);
        overall.PixelAuroc!.Value.Should().BeApproximately(1 - 5116.0 / 5180.0, Exact, "the unsmoothed maps are 1 - smoothed");

        // Recall 13/14 at precision 1, then the last 1/14 at precision 14/78.
        overall.PixelAveragePrecision!.Value.Should().BeApproximately(13.0 / 14.0 + 1.0 / 78.0, Exact);

        // 4 regions; PRO is 3/4 up to FPR 64/370, then 1 up to 0.3: area 0.3 - 0.25 * 64/370, divided by 0.3.
        overall.Aupro!.Value.Should().BeApproximately(1 - (0.25 * 64.0 / 370.0) / 0.3, Exact);
        overall.Undefined.Should().BeEmpty();
        report.AuproFprLimit.Should().Be(Aupro.DefaultFprLimit);
        (report.MapHeight, report.MapWidth).Should().Be((8, 8));
    }

    [Fact]
    public void EachDefectTypeIsEvaluatedWithEveryNormalImage()
    {
        var report = SyntheticEvaluationSet.Builder(SyntheticEvaluationSet.Create()).Build();

        report.DefectTypes.Select(t => t.Subset).Should().Equal("crack", "scratch");
        var crack = report.DefectTypes[0];
        (crack.Images, crack.DefectiveImages, crack.NormalImages).Should().Be((4, 2, 2));
        crack.ImageAuroc.Should().Be(0.75);
        crack.ImageF1Max!.Value.Should().BeApproximately(0.8, Exact);
        crack.ImageF1Threshold.Should().Be(0.25f);
        crack.PixelAurocSmoothed!.Value.Should().BeApproximately(1191.0 / 1255.0, Exact);
        crack.PixelAveragePrecision!.Value.Should().BeApproximately(0.8 + 1.0 / 69.0, Exact);
        crack.Aupro!.Value.Should().BeApproximately(1 - (0.5 * 64.0 / 251.0) / 0.3, Exact);

        var scratch = report.DefectTypes[1];
        (scratch.Images, scratch.DefectiveImages, scratch.NormalImages).Should().Be((4, 2, 2));
        scratch.ImageAuroc.Should().Be(1.0);
        scratch.ImageF1Max.Should().Be(1.0);
        scratch.ImageF1Threshold.Should().Be(0.7f);
        scratch.PixelAurocSmoothed.Should().Be(1.0);
        scratch.PixelAveragePrecision.Should().Be(1.0);
        scratch.Aupro!.Value.Should().BeApproximately(1.0, Exact);
    }

    [Fact]
    public void MetricsEqualTheDirectComputationOnTheSameSubset()
    {
        // The builder gathers pixels from the stored arrays; the public span metrics on concatenated copies must agree.
        var samples = SyntheticEvaluationSet.Create();
        var crackSubset = samples.Where(s => !s.IsDefective || s.DefectType == "crack").ToArray();
        var smoothed = crackSubset.SelectMany(s => s.SmoothedMap!).ToArray();
        var masks = crackSubset.SelectMany(s => s.Mask!).ToArray();

        var crack = SyntheticEvaluationSet.Builder(samples).Build().DefectTypes[0];
        crack.PixelAurocSmoothed.Should().Be(BinaryMetrics.Auroc(smoothed, masks));
        crack.PixelAveragePrecision.Should().Be(BinaryMetrics.AveragePrecision(smoothed, masks));
        crack.Aupro.Should().Be(Aupro.Compute(smoothed, masks, 8, 8));
    }

    [Fact]
    public void ASingleDefectTypeRepeatsTheOverallNumbers()
    {
        var samples = SyntheticEvaluationSet.Create().Where(s => s.DefectType != "scratch");
        var report = SyntheticEvaluationSet.Builder(samples).Build();
        report.DefectTypes.Should().ContainSingle();
        report.DefectTypes[0].Should().Be(report.Overall with { Subset = "crack" });
    }

    [Fact]
    public void OnlyNormalImagesLeaveClassMetricsUndefinedWithReasons()
    {
        var samples = SyntheticEvaluationSet.Create().Where(s => !s.IsDefective);
        var report = SyntheticEvaluationSet.Builder(samples).Build();

        report.DefectTypes.Should().BeEmpty();
        var overall = report.Overall;
        overall.ImageAuroc.Should().BeNull();
        overall.ImageF1Max.Should().BeNull();
        overall.PixelAuroc.Should().BeNull();
        overall.Aupro.Should().BeNull();
        overall.Undefined.Should().ContainEquivalentOf(new UndefinedMetric(MetricNames.ImageAuroc, "needs defective and normal images (0 defective, 2 normal)"));
        overall.Undefined.Should().ContainEquivalentOf(new UndefinedMetric(MetricNames.Aupro, "no defective pixel in the ground truth"));
        overall.Undefined.Select(u => u.Metric).Should().BeEquivalentTo(
        [
            MetricNames.ImageAuroc, MetricNames.ImageF1Max, MetricNames.ImageF1Threshold, MetricNames.PixelAuroc,
            MetricNames.PixelAurocSmoothed, MetricNames.Aupro, MetricNames.PixelAveragePrecision,
        ]);
    }

    [Fact]
    public void OnlyDefectiveImagesStillGivePixelMetrics()
    {
        var samples = SyntheticEvaluationSet.Create().Where(s => s.IsDefective);
        var overall = SyntheticEvaluationSet.Builder(samples).Build().Overall;
        overall.ImageAuroc.Should().BeNull();
        overall.ImageF1Max.Should().Be(1.0, "every image is defective, so the lowest score gives precision and recall 1");
        overall.PixelAurocSmoothed.Should().NotBeNull();
        overall.Aupro.Should().NotBeNull();
        overall.Undefined.Should().ContainSingle().Which.Metric.Should().Be(MetricNames.ImageAuroc);
    }

    [Fact]
    public void MissingMasksOrMapsMakePixelMetricsUndefined()
    {
        var samples = SyntheticEvaluationSet.Create();
        samples[2] = samples[2] with { Mask = null };
        samples[5] = samples[5] with { AnomalyMap = null };
        var report = SyntheticEvaluationSet.Builder(samples).Build();

        var crack = report.DefectTypes[0];
        crack.ImageAuroc.Should().Be(0.75);
        crack.PixelAuroc.Should().BeNull();
        crack.Aupro.Should().BeNull();
        crack.Undefined.Should().ContainEquivalentOf(new UndefinedMetric(MetricNames.Aupro, "ground-truth masks missing for 1 defective images"));

        var scratch = report.DefectTypes[1];
        scratch.PixelAuroc.Should().BeNull();
        scratch.Undefined.Should().ContainSingle().Which.Should().Be(new UndefinedMetric(MetricNames.PixelAuroc, "anomaly maps missing for 1 of 4 images"));
        scratch.Aupro.Should().NotBeNull("the smoothed maps are all there");
    }

    [Fact]
    public void InvalidSamplesAreRejectedNamingTheImage()
    {
        var builder = new EvaluationReportBuilder(8, 8);
        var good = SyntheticEvaluationSet.Create()[0];

        var shortMap = () => builder.Add(good with { SmoothedMap = new float[10] });
        shortMap.Should().Throw<ArgumentException>().WithMessage("*'n1.png'*smoothed map has 10 values, expected 64*");
        var nanScore = () => builder.Add(good with { ImageScore = float.NaN });
        nanScore.Should().Throw<ArgumentException>().WithMessage("*'n1.png'*image score is NaN*");
        var nanMap = () => builder.Add(good with { AnomalyMap = Enumerable.Repeat(float.NaN, 64).ToArray() });
        nanMap.Should().Throw<ArgumentException>().WithMessage("*'n1.png'*anomaly map value 0 is NaN*");
        var markedNormal = () => builder.Add(good with { Mask = Enumerable.Repeat(true, 64).ToArray() });
        markedNormal.Should().Throw<ArgumentException>().WithMessage("*'n1.png'*labelled normal but its mask marks 64 defective pixels*");
        var noType = () => builder.Add(good with { DefectType = " " });
        noType.Should().Throw<ArgumentException>().WithMessage("*'n1.png'*defect type is empty*");

        builder.Count.Should().Be(0);
        var empty = () => builder.Build();
        empty.Should().Throw<InvalidOperationException>().WithMessage("*no sample*");
        var badLimit = () => new EvaluationReportBuilder(8, 8, auproFprLimit: 0);
        badLimit.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("auproFprLimit");
    }

    [Fact]
    public void BuildHonoursCancellation()
    {
        var builder = SyntheticEvaluationSet.Builder(SyntheticEvaluationSet.Create());
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var act = () => builder.Build(cancelled.Token);
        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void TableListsEveryTypeInAlignedColumnsAndExplainsUndefinedMetrics()
    {
        var samples = SyntheticEvaluationSet.Create();
        samples[2] = samples[2] with { Mask = null };
        var report = SyntheticEvaluationSet.Builder(samples).Build();
        var lines = report.ToTable().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        lines[0].Should().StartWith("subset").And.Contain("image AUROC").And.Contain("AUPRO@0.3").And.Contain("F1 threshold");
        lines[2].Should().StartWith("overall ");
        lines[3].Should().StartWith("crack ");
        lines[4].Should().StartWith("scratch ");
        lines.Take(5).Select(l => l.Length).Distinct().Should().ContainSingle("the columns are padded to one width");
        lines[3].Should().Contain("0.7500").And.Contain(" - ", "undefined metrics print as a dash");
        lines[4].Should().Contain("1.0000").And.EndWith(" 0.7");
        lines.Should().Contain(l => l.StartsWith("crack: aupro undefined: ground-truth masks missing", StringComparison.Ordinal));
        report.ToString().Should().Be(report.ToTable());
    }
}

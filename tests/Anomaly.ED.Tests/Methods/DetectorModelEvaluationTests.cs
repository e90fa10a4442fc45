using Anomaly.ED.Evaluation;
using Anomaly.ED.Methods;
using Anomaly.ED.Tests.Detector;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anomaly.ED.Tests.Methods;

/// <summary>One evaluation pass gives the report and, image by image, what plots and heatmaps need (the tool's <c>test</c> relies on it).</summary>
[Collection(DetectorCollection.Name)]
public sealed class DetectorModelEvaluationTests(TinyDetectorFixture fixture)
{
    [Fact]
    public void EveryImageIsScoredOnceAndHandedOverWithTheNumbersTheReportIsBuiltFrom()
    {
        var scored = new List<ScoredImage>();
        var reports = new List<int>();

        var report = fixture.Detector.Model.Evaluate(fixture.Test, new Counting(reports), NullLogger.Instance, CancellationToken.None, scored.Add);

        scored.Select(s => s.Item).Should().Equal(fixture.Test.Items, "each image once, in dataset order");
        reports.Should().Equal(Enumerable.Range(1, fixture.Test.Count));
        var scores = scored.Select(s => s.Score).ToArray();
        var labels = scored.Select(s => s.Item.IsDefective).ToArray();
        report.Overall.ImageAuroc.Should().Be(BinaryMetrics.Auroc(scores, labels));
        var pixels = scored.SelectMany(s => s.Smoothed).ToArray();
        var truth = scored.SelectMany(s => s.Mask!).ToArray();
        report.Overall.PixelAurocSmoothed.Should().BeApproximately(BinaryMetrics.Auroc(pixels, truth), 1e-12);
        report.Overall.Should().BeEquivalentTo(fixture.Detector.Evaluate(fixture.Test).Overall, "the public Evaluate computes the same report");
    }

    private sealed class Counting(List<int> reports) : IProgress<int>
    {
        public void Report(int value) => reports.Add(value);
    }
}

using Anomaly.ED.Data;
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

    [Fact]
    public void ThePublicPerImageOverloadHandsOverEachItemWithThePredictionItWouldGet()
    {
        var handed = new List<(Anomaly.ED.Data.DatasetItem Item, AnomalyPrediction Prediction)>();

        var report = fixture.Detector.Evaluate(fixture.Test, null, e => handed.Add((e.Item, e.Prediction)));

        handed.Select(h => h.Item).Should().Equal(fixture.Test.Items, "each image once, in dataset order");
        report.Overall.ImageAuroc.Should().Be(BinaryMetrics.Auroc(handed.Select(h => h.Prediction.Score).ToArray(), handed.Select(h => h.Item.IsDefective).ToArray()));
        var first = handed[0];
        first.Prediction.SourcePath.Should().Be(first.Item.ImagePath);
        var predicted = fixture.Detector.Predict(first.Item.ImagePath);
        first.Prediction.Score.Should().BeApproximately(predicted.Score, 1e-5f, "the same image scored by Predict");
        first.Prediction.Map.Values.Should().Equal(predicted.Map.Values, (a, b) => Math.Abs(a - b) < 1e-5f);
        first.Prediction.IsAnomalous.Should().Be(predicted.IsAnomalous);
        var missing = () => fixture.Detector.Evaluate(fixture.Test, null, null!);
        missing.Should().Throw<ArgumentNullException>().WithParameterName("onImage");
    }

    private sealed class Counting(List<int> reports) : IProgress<int>
    {
        public void Report(int value) => reports.Add(value);
    }
}

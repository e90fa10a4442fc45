using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED.Tests.Detector;

/// <summary>Every method goes through the same detector calls: fit, predict, calibrate, evaluate, save, load.</summary>
[Collection(DetectorCollection.Name)]
public sealed class DetectorMethodTests
{
    private readonly TinyDetectorFixture fixture;

    public DetectorMethodTests(TinyDetectorFixture fixture) => this.fixture = fixture;

    public static TheoryData<DetectorMethod> Methods => [.. Enum.GetValues<DetectorMethod>()];

    [Theory]
    [MemberData(nameof(Methods))]
    public void FitPredictCalibrateEvaluateSaveAndLoadThroughTheSameCalls(DetectorMethod method)
    {
        using var detector = NewBuilder(method).Build();
        detector.Method.Should().Be(method);
        detector.IsFitted.Should().BeFalse();

        detector.Fit(fixture.Training);
        detector.IsFitted.Should().BeTrue();
        var calibration = detector.CalibrateFromLabelled(fixture.Test);
        detector.Calibration.Should().Be(calibration);

        var images = fixture.Test.Items.Take(4).Select(i => i.ImagePath).ToArray();
        var predictions = detector.Predict(images);
        predictions.Should().HaveCount(4).And.OnlyContain(p => float.IsFinite(p.Score) && p.IsAnomalous != null && p.Map.Values.Length == 64 * 64);
        var report = detector.Evaluate(fixture.Test);
        report.Overall.ImageAuroc!.Value.Should().BeInRange(0, 1);

        var path = fixture.NewTempPath($"{method}.edmodel");
        detector.Save(path);
        using var loaded = EdDetector.Load(path);
        loaded.Method.Should().Be(method);
        loaded.Calibration.Should().Be(calibration);
        loaded.Predict(images).Select(p => (p.Score, p.IsAnomalous)).Should().Equal(predictions.Select(p => (p.Score, p.IsAnomalous)));
        loaded.Evaluate(fixture.Test).Overall.Should().BeEquivalentTo(report.Overall);

        var data = ModelFileInfo.Read(path).TrainingData;
        data.Should().NotBeNull("the model file records what the model learned from");
        data!.Images.Should().Be(fixture.Training.Count);
        data.Sources.Should().ContainSingle().Which.Should().Match<TrainingDataSource>(s =>
            s.Name == fixture.Training.Name && s.Images == fixture.Training.Count && s.Root == Path.GetDirectoryName(fixture.Training.Items[0].ImagePath));
        data.ImageSizes.Should().Equal("64x64");
        data.FittedUtc.Should().BeCloseTo(DateTime.UtcNow, TimeSpan.FromMinutes(10));
        (data.Epochs, data.Templates).Should().Be(method == DetectorMethod.Hetmm ? (null, fixture.Training.Count) : (1, null));
    }

    private static EdDetectorBuilder NewBuilder(DetectorMethod method)
    {
        var builder = TinyDetectorFixture.NewBuilder(epochs: 1);
        return method switch
        {
            DetectorMethod.Ed => builder.UseEd(),
            DetectorMethod.Fod => builder.UseFod(),
            DetectorMethod.Hetmm => builder.UseHetmm().WithBackbone("resnet18"),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Add the new method's builder call here."),
        };
    }
}

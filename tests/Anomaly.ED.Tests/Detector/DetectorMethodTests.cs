using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Methods;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED.Tests.Detector;

/// <summary>Every registered method goes through the same detector calls: fit, add normal images where it can, predict,
/// calibrate, evaluate, save, load and info; a method is covered here as soon as it is registered.</summary>
[Collection(DetectorCollection.Name)]
public sealed class DetectorMethodTests
{
    private readonly TinyDetectorFixture fixture;

    public DetectorMethodTests(TinyDetectorFixture fixture) => this.fixture = fixture;

    public static TheoryData<DetectorMethod> Methods => [.. MethodDescriptor.All.Select(d => d.Method)];

    [Fact]
    public void EveryMethodIsRegisteredOnce()
    {
        MethodDescriptor.All.Select(d => d.Method).Should().BeEquivalentTo(Enum.GetValues<DetectorMethod>(), "a DetectorMethod without a descriptor could not be built");
        MethodDescriptor.All.Select(d => d.Method).Should().OnlyHaveUniqueItems();
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void FitPredictCalibrateEvaluateSaveAndLoadThroughTheSameCalls(DetectorMethod method)
    {
        using var detector = NewBuilder(method).Build();
        detector.Method.Should().Be(method);
        detector.IsFitted.Should().BeFalse();

        var descriptor = MethodDescriptor.For(method);
        detector.Fit(fixture.Training);
        detector.IsFitted.Should().BeTrue();
        var add = () => detector.AddNormalImages(new ImageDataset("more", fixture.Training.Items.Take(2)));
        if (descriptor.SupportsAddingNormalImages)
        {
            add.Should().NotThrow();
        }
        else
        {
            add.Should().Throw<NotSupportedException>();
        }

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

        var info = ModelFileInfo.Read(path);
        info.Method.Should().Be(method);
        var settings = descriptor.DescribeSettings(info.Options);
        settings.Should().NotBeEmpty().And.OnlyContain(row => row.Key.Length > 0 && row.Value.Length > 0, "info shows the method's own settings");
        settings.Should().Equal(descriptor.DescribeSettings(detector.Options), "the file keeps the settings the detector ran with");
        var data = info.TrainingData;
        data.Should().NotBeNull("the model file records what the model learned from");
        var added = descriptor.SupportsAddingNormalImages ? 2 : 0;
        data!.Images.Should().Be(fixture.Training.Count + added);
        data.Sources[0].Should().Match<TrainingDataSource>(s =>
            s.Name == fixture.Training.Name && s.Images == fixture.Training.Count && s.Root == Path.GetDirectoryName(fixture.Training.Items[0].ImagePath));
        data.Sources.Should().HaveCount(descriptor.SupportsAddingNormalImages ? 2 : 1);
        data.ImageSizes.Should().Equal("64x64");
        data.FittedUtc.Should().BeCloseTo(DateTime.UtcNow, TimeSpan.FromMinutes(10));
        (data.Epochs, data.Templates).Should().Be(descriptor.TrainsForEpochs ? (1, null) : (null, fixture.Training.Count + added));
    }

    // The fixture's tiny ED settings are dropped by a method with other settings, which runs its reference ones on resnet18.
    private static EdDetectorBuilder NewBuilder(DetectorMethod method) => TinyDetectorFixture.NewBuilder(epochs: 1).UseMethod(method);
}

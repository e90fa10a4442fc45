using Anomaly.ED.Tests.TestSupport;
using System.Globalization;
using Anomaly.ED.Evaluation;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED.Tests.Detector;

/// <summary>Model files written in earlier format versions (see LegacyModels/README.md) load and predict as when they were saved.</summary>
public sealed class LegacyModelFileTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Detector", "LegacyModels");

    [Theory]
    [InlineData("ed", DetectorMethod.Ed)]
    [InlineData("fod", DetectorMethod.Fod)]
    public void AVersion1FileLoadsWithItsOptionsAndPredictsAsWhenSaved(string name, DetectorMethod method)
    {
        using var detector = EdDetector.Load(Path.Combine(Folder, $"v1-{name}.edmodel"));

        detector.Method.Should().Be(method);
        detector.Calibration.Should().Be(new Calibration(0.25));
        var options = detector.Options;
        (options.Backbone.Name, options.Backbone.ImageHeight, options.Backbone.AllowUntrained, options.Seed).Should().Be(("resnet18", 32, true, 7));
        options.Backbone.Levels.Should().Equal(["layer1"]);
        options.EdSettings().Network.ModelDimensions.Should().Equal([16]);
        (options.EdSettings().Network.Heads, options.EdSettings().Network.Layers, options.EdSettings().Training.Epochs, options.EdSettings().Training.BatchSize).Should().Be((2, 1, 1, 2));
        options.Runtime.Device.Should().Be("cpu", "runtime settings are not taken from the file");

        ExpectSavedPrediction(detector, $"v1-{name}.expected.txt");
    }

    [Fact]
    public void AFileWithoutATrainingDataSummaryReadsAsNotRecordedAndSavesAgainWithout()
    {
        var path = Path.Combine(Folder, "v1-ed.edmodel");
        ModelFileInfo.Read(path).TrainingData.Should().BeNull("files written before the summary existed do not record it");

        using var detector = EdDetector.Load(path);
        var copy = Path.Combine(Path.GetTempPath(), $"anomaly-ed-legacy-{Guid.NewGuid():N}.edmodel");
        try
        {
            detector.Save(copy);
            ModelFileInfo.Read(copy).TrainingData.Should().BeNull("saving again invents no summary");
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Theory]
    [InlineData("ed", DetectorMethod.Ed)]
    [InlineData("hetmm", DetectorMethod.Hetmm)]
    public void AVersion2FileLoadsWithOnlyItsMethodsSettingsAndPredictsAsWhenSaved(string name, DetectorMethod method)
    {
        var path = Path.Combine(Folder, $"v2-{name}.edmodel");
        ModelFileInfo.Read(path).FormatVersion.Should().Be(2);
        using var detector = EdDetector.Load(path);

        detector.Method.Should().Be(method);
        detector.Calibration.Should().Be(new Calibration(0.25));
        var options = detector.Options;
        (options.Backbone.Name, options.Backbone.ImageHeight, options.Backbone.AllowUntrained, options.Seed).Should().Be(("resnet18", 32, true, 7));
        options.Backbone.Levels.Should().Equal(["layer1"]);
        if (method == DetectorMethod.Hetmm)
        {
            options.Ed.Should().BeNull("version 2 kept every method's settings side by side; only HETMM's are read");
            (options.Hetmm!.TemplateSheets, options.Hetmm.Parameters).Should().Be((2, "L1:5x3_a=0.3_l=1;img_AUC:clean|pix_AUC:blur_s=4_k=33|PRO:clean"));
        }
        else
        {
            options.Hetmm.Should().BeNull("version 2 kept every method's settings side by side; only ED's are read");
            (options.Ed!.Network.ModelDimensions![0], options.Ed.Network.Heads, options.Ed.Training.Epochs, options.Ed.Training.BatchSize).Should().Be((16, 2, 1, 2));
        }

        ExpectSavedPrediction(detector, $"v2-{name}.expected.txt");

        var copy = Path.Combine(Path.GetTempPath(), $"anomaly-ed-v2-{Guid.NewGuid():N}.edmodel");
        try
        {
            detector.Save(copy);
            ModelFileInfo.Read(copy).FormatVersion.Should().Be(3, "saving again writes the current format");
            using var again = EdDetector.Load(copy);
            again.Options.Should().BeEquivalentTo(options);
            ExpectSavedPrediction(again, $"v2-{name}.expected.txt");
        }
        finally
        {
            File.Delete(copy);
        }
    }

    private static void ExpectSavedPrediction(EdDetector detector, string expectedFile)
    {
        var expected = File.ReadAllLines(Path.Combine(Folder, expectedFile)).Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        var prediction = detector.Predict(Path.Combine(Folder, "v1-probe.png"));
        prediction.Score.Should().BeApproximately(expected[0], Math.Abs(expected[0]) * 1e-5f);
        prediction.Map.Values.Sum().Should().BeApproximately(expected[1], Math.Abs(expected[1]) * 1e-5f);
        prediction.Map.Values.Max().Should().BeApproximately(expected[2], Math.Abs(expected[2]) * 1e-5f);
    }
}

using System.Text.Json;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Microsoft.ML.OnnxRuntime;

namespace Anomaly.ED.Tests.Export;

/// <summary><see cref="EdDetector.ExportOnnx"/>: the file it came from, the preprocessing, its options and its lock.</summary>
public sealed class DetectorExportTests(EdExportFixture fixture) : IClassFixture<EdExportFixture>
{
    [Fact]
    public void ALoadedDetectorRecordsItsModelFileUntilItChanges()
    {
        var modelPath = fixture.NewTempPath("model.edmodel");
        fixture.Detector.Save(modelPath);
        using var loaded = EdDetector.Load(modelPath);
        var hash = ModelFileInfo.Read(modelPath).ContentSha256;

        var exported = fixture.NewTempPath("loaded.onnx");
        loaded.ExportOnnx(exported).Should().BeNull("a small model is one file");
        Metadata(exported)["source_model_sha256"].Should().Be(hash);

        loaded.SetCalibration(new Calibration(0.25));
        var recalibrated = fixture.NewTempPath("recalibrated.onnx");
        loaded.ExportOnnx(recalibrated);
        Metadata(recalibrated).Should().NotContainKey("source_model_sha256", "the calibration is no longer the file's");

        var resaved = fixture.NewTempPath("resaved.edmodel");
        loaded.Save(resaved);
        var again = fixture.NewTempPath("again.onnx");
        loaded.ExportOnnx(again);
        Metadata(again)["source_model_sha256"].Should().Be(ModelFileInfo.Read(resaved).ContentSha256).And.NotBe(hash);
    }

    [Fact]
    public void TheMetadataDescribesTheResizeAClientMustApply()
    {
        var path = fixture.NewTempPath("model.onnx");
        fixture.Detector.ExportOnnx(path);
        var transform = JsonSerializer.Deserialize<ImageTransformOptions>(Metadata(path)["transform"], new JsonSerializerOptions { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } })!;
        var expected = fixture.Detector.Transform.Options;
        transform.Should().BeEquivalentTo(expected);
        Metadata(path).Should().NotContainKey("source_model_sha256", "the fixture's detector was fitted, not loaded");
    }

    [Fact]
    public void ExternalDataFollowsTheThresholdAndInvalidSettingsAreRefused()
    {
        var path = fixture.NewTempPath("split.onnx");
        fixture.Detector.ExportOnnx(path, externalDataThresholdBytes: 0).Should().Be(Path.GetFullPath(path) + ".data");
        File.Exists(path + ".data").Should().BeTrue();

        var negative = () => fixture.Detector.ExportOnnx(fixture.NewTempPath("x.onnx"), externalDataThresholdBytes: -1);
        negative.Should().Throw<ArgumentException>().WithMessage("*externalDataThresholdBytes*");
        var tooLarge = () => fixture.Detector.ExportOnnx(fixture.NewTempPath("x.onnx"), externalDataThresholdBytes: long.MaxValue);
        tooLarge.Should().Throw<ArgumentException>().WithMessage("*externalDataThresholdBytes*");
    }

    [Fact]
    public void AnUnfittedOrDisposedDetectorIsRefused()
    {
        var unfitted = EdExportFixture.NewBuilder().Build();
        var export = () => unfitted.ExportOnnx(fixture.NewTempPath("unfitted.onnx"));
        export.Should().Throw<InvalidOperationException>().WithMessage("*not been fitted*");
        unfitted.Dispose();
        export.Should().Throw<ObjectDisposedException>();
    }

    private static IReadOnlyDictionary<string, string> Metadata(string path)
    {
        using var session = new InferenceSession(path);
        return new Dictionary<string, string>(session.ModelMetadata.CustomMetadataMap);
    }
}

using Anomaly.ED.Export;
using Anomaly.ED.Formats.Onnx;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.OnnxRuntime;
using Anomaly.ED.Tests.Export;
using Google.Protobuf;

namespace Anomaly.ED.Tests.OnnxRuntime;

/// <summary>Files <see cref="OnnxDetector.Load"/> refuses, each with a <see cref="ModelFileException"/> naming the file and what is wrong.</summary>
public sealed class OnnxDetectorFileTests(EdExportFixture fixture) : IClassFixture<EdExportFixture>
{
    private readonly Lazy<byte[]> export = new(() =>
    {
        var path = fixture.NewTempPath("model.onnx");
        fixture.Detector.ExportOnnx(path);
        return File.ReadAllBytes(path);
    });

    public static TheoryData<string, string> Refused => new()
    {
        { "truncated", "*cannot load it (truncated, corrupt, or not an ONNX model)*" },
        { "empty", "*cannot load it*" },
        { "png", "*cannot load it*" },
        { "foreign-onnx", "*not one exported by Anomaly.ED (metadata 'format' is '(none)'*" },
        { "newer-version", "*export format version 2, newer than this package reads (1)*" },
        { "wrong-input-size", "*input tensor 'image' is UInt8 [-1, 64, 64, 3]; the metadata's input size needs UInt8 [-1, 32, 64, 3]*" },
        { "transform-mismatch", "*metadata 'transform' is malformed: the transform gives 48x48 images, not the input's 64x64*" },
        { "unknown-method", "*metadata 'method' names no method*" },
        { "no-score", "*no output tensor 'score'*" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void DamagedForeignAndMismatchedFilesAreRefusedNamingTheFile(string kind, string message)
    {
        var path = fixture.NewTempPath(kind + ".onnx");
        File.WriteAllBytes(path, kind switch
        {
            "truncated" => export.Value[..(export.Value.Length / 2)],
            "empty" => [],
            "png" => File.ReadAllBytes(fixture.Test.Items[0].ImagePath),
            "foreign-onnx" => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Reliability", "Seeds", "ResNet18Onnx", "ResNet18.onnx")),
            "newer-version" => Edit(m => Set(m, "format_version", "2")),
            "wrong-input-size" => Edit(m => Set(m, "input_height", "32")),
            "transform-mismatch" => Edit(m => Set(m, "transform", Metadata(m, "transform").Replace("\"ResizeHeight\":64", "\"ResizeHeight\":48", StringComparison.Ordinal).Replace("\"ResizeWidth\":64", "\"ResizeWidth\":48", StringComparison.Ordinal).Replace("\"CropHeight\":64", "\"CropHeight\":48", StringComparison.Ordinal).Replace("\"CropWidth\":64", "\"CropWidth\":48", StringComparison.Ordinal))),
            "unknown-method" => Edit(m => Set(m, "method", "Patchcore")),
            "no-score" => Edit(m => m.Graph.Output.Remove(m.Graph.Output.Single(o => o.Name == OnnxPostProcessing.ScoreOutput))),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        });

        var load = () => OnnxDetector.Load(path);

        var error = load.Should().Throw<ModelFileException>().WithMessage(message).Which;
        error.FilePath.Should().Be(Path.GetFullPath(path));
        error.Message.Should().StartWith($"Model file '{Path.GetFullPath(path)}'");
    }

    [Fact]
    public void AMissingFileAndInvalidOptionsAreTheCallersErrors()
    {
        var missing = () => OnnxDetector.Load(fixture.NewTempPath("missing.onnx"));
        missing.Should().Throw<FileNotFoundException>();

        var path = fixture.NewTempPath("model.onnx");
        File.WriteAllBytes(path, export.Value);
        foreach (var options in new[] { new OnnxDetectorOptions { Device = "tpu" }, new OnnxDetectorOptions { IntraOpThreads = 0 } })
        {
            var load = () => OnnxDetector.Load(path, options);
            load.Should().Throw<ArgumentException>().WithMessage("OnnxDetectorOptions.*");
        }
    }

    private byte[] Edit(Action<ModelProto> edit)
    {
        var model = ModelProto.Parser.ParseFrom(export.Value);
        edit(model);
        return model.ToByteArray();
    }

    private static string Metadata(ModelProto model, string key) => model.MetadataProps.Single(p => p.Key == key).Value;

    private static void Set(ModelProto model, string key, string value) => model.MetadataProps.Single(p => p.Key == key).Value = value;
}

using System.Diagnostics;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Export;
using Anomaly.ED.Methods;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Export;

/// <summary>The exported file: its interface and metadata, external data, atomic replacement and the ONNX checker.</summary>
public sealed class OnnxExportFileTests(EdExportFixture fixture, ITestOutputHelper log) : IClassFixture<EdExportFixture>
{
    [Fact]
    public void TheGraphDeclaresItsInputOutputsAndMetadata()
    {
        var model = fixture.Detector.Model;
        var previous = model.Calibration;
        model.Calibration = new Calibration(0.5);
        try
        {
            var path = fixture.NewTempPath("model.onnx");
            OnnxExporter.Export(model, path, sourceModelHash: "abc123");
            using var session = new InferenceSession(path);

            var input = session.InputMetadata.Should().ContainSingle().Subject;
            input.Key.Should().Be("image");
            input.Value.ElementDataType.Should().Be(TensorElementType.UInt8);
            input.Value.Dimensions.Should().Equal(-1, 64, 64, 3);
            input.Value.SymbolicDimensions[0].Should().Be("batch");
            session.OutputMetadata.Keys.Should().Equal("anomaly_map", "unsmoothed_map", "score", "is_anomalous");
            session.OutputMetadata["anomaly_map"].Dimensions.Should().Equal(-1, 64, 64);
            session.OutputMetadata["unsmoothed_map"].Dimensions.Should().Equal(-1, 64, 64);
            session.OutputMetadata["is_anomalous"].ElementDataType.Should().Be(TensorElementType.Bool);

            var metadata = session.ModelMetadata.CustomMetadataMap;
            metadata["format"].Should().Be(OnnxExporter.Format);
            metadata["method"].Should().Be("Ed");
            metadata["backbone"].Should().Be("resnet18");
            metadata["backbone_fingerprint"].Should().Be(model.Backbone.Fingerprint);
            metadata["input_height"].Should().Be("64");
            metadata["calibration"].Should().Contain("0.5");
            metadata["training_data"].Should().Contain("Sources");
            metadata["source_model_sha256"].Should().Be("abc123");
            session.ModelMetadata.ProducerName.Should().Be("Anomaly.ED");
        }
        finally
        {
            model.Calibration = previous;
        }
    }

    [Fact]
    public void LargeInitializersGoToExternalDataWithTheSameResults()
    {
        var model = fixture.Detector.Model;
        var single = fixture.NewTempPath("single.onnx");
        var split = fixture.NewTempPath("split.onnx");
        OnnxExporter.Export(model, single).Should().BeNull();
        var data = OnnxExporter.Export(model, split, new OnnxExportOptions { ExternalDataThresholdBytes = 0 });

        data.Should().Be(split + ".data");
        new FileInfo(split).Length.Should().BeLessThan(new FileInfo(single).Length / 10, "the weights are in the data file");
        Directory.GetFiles(Path.GetDirectoryName(split)!).Select(Path.GetFileName).Should().BeEquivalentTo(["split.onnx", "split.onnx.data"], "no temporary file is left");
        var images = OnnxTestRun.RandomImages(2, 64, 64, seed: 4);
        using var whole = new InferenceSession(single);
        using var external = new InferenceSession(split);
        var expected = OnnxTestRun.Run(whole, images);
        var actual = OnnxTestRun.Run(external, images);
        ((float[])actual["anomaly_map"]).Should().Equal((float[])expected["anomaly_map"]);
        ((float[])actual["score"]).Should().Equal((float[])expected["score"]);
    }

    [Fact]
    public void ExportingAgainReplacesTheFileAndAnUnfittedModelIsRefused()
    {
        var path = fixture.NewTempPath("model.onnx");
        File.WriteAllText(path, "not a model");
        OnnxExporter.Export(fixture.Detector.Model, path);
        using (var session = new InferenceSession(path))
        {
            session.InputMetadata.Keys.Should().Equal("image");
        }

        using var unfitted = EdExportFixture.NewBuilder().Build();
        var export = () => OnnxExporter.Export(unfitted.Model, fixture.NewTempPath("unfitted.onnx"));
        export.Should().Throw<InvalidOperationException>().WithMessage("*fitted*");
    }

    [PythonOnnxFact]
    public void TheOnnxCheckerAcceptsTheExportedFiles()
    {
        var model = fixture.Detector.Model;
        var previous = model.Calibration;
        model.Calibration = new Calibration(0.5, new ScoreNormalization(0.5, 0, 1));
        try
        {
            var single = fixture.NewTempPath("model.onnx");
            var split = fixture.NewTempPath("split.onnx");
            var hetmm = fixture.NewTempPath("hetmm.onnx");
            OnnxExporter.Export(model, single);
            OnnxExporter.Export(model, split, new OnnxExportOptions { ExternalDataThresholdBytes = 0 });
            using (var templates = EdExportFixture.NewBuilder().UseHetmm("pill", templateSheets: 2).WithBackbone("resnet18").Configure(o => o.Hetmm!.HalfPrecisionTemplates = true).Build())
            {
                templates.Fit(fixture.Training);
                templates.Model.Calibration = model.Calibration;
                OnnxExporter.Export(templates.Model, hetmm);
            }

            foreach (var path in new[] { single, split, hetmm })
            {
                var (exitCode, output) = RunChecker(path);
                log.WriteLine($"{Path.GetFileName(path)}: exit {exitCode} {output}");
                exitCode.Should().Be(0, output);
            }
        }
        finally
        {
            model.Calibration = previous;
        }
    }

    private static (int ExitCode, string Output) RunChecker(string path)
    {
        const string script = "import sys, onnx; onnx.checker.check_model(sys.argv[1], full_check=True); print('onnx', onnx.__version__, 'ok')";
        var start = new ProcessStartInfo(PythonOnnxFactAttribute.Python, ["-c", script, path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}

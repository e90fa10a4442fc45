using System.Text.RegularExpressions;
using Anomaly.ED.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Anomaly.ED.Cli.Tests;

/// <summary><c>export</c>: the ONNX file and the Triton model repository, checked against what ONNX Runtime reads from the graph.</summary>
[Collection(CliCollection.Name)]
public sealed partial class ExportTests(CliDatasets data)
{
    [Fact]
    public async Task Export_writes_an_onnx_file_that_scores_as_the_model_and_names_it()
    {
        var path = Path.Combine(data.NewFolder(), "sub", "bottle.onnx");

        var run = await CliRun.RunAsync(["export", data.ModelPath, "--format", "onnx", "--output", path]);

        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().Contain($"onnx: {path}");
        using var session = new InferenceSession(path);
        session.ModelMetadata.CustomMetadataMap["source_model_sha256"].Should().Be(ModelFileInfo.Read(data.ModelPath).ContentSha256);

        using var detector = EdDetector.Load(data.ModelPath);
        var image = Directory.GetFiles(data.PlainTraining)[0];
        var decoded = ImageDecoder.DecodeRgb(image);
        decoded.Height.Should().Be(CliDatasets.Size, "the synthetic images are at the model's size, so the graph takes them as they are");
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("image", new DenseTensor<byte>(decoded.Pixels, [1, decoded.Height, decoded.Width, 3]))]);
        var score = results.Single(r => r.Name == "score").AsTensor<float>()[0];
        score.Should().BeApproximately(detector.Predict(image).Score, Math.Abs(score) * 1e-5f);
    }

    [Fact]
    public async Task Export_triton_writes_a_repository_whose_config_matches_the_graph()
    {
        var repository = data.NewFolder();

        var run = await CliRun.RunAsync(["export", data.ModelPath, "--format", "triton", "--output", repository, "--name", "bottle_ed", "--max-batch", "4"]);

        run.ExitCode.Should().Be(0, run.Output);
        Directory.GetFileSystemEntries(Path.Combine(repository, "bottle_ed")).Select(Path.GetFileName).Should().BeEquivalentTo(["config.pbtxt", "1"]);
        var config = File.ReadAllText(Path.Combine(repository, "bottle_ed", "config.pbtxt"));
        config.Should().Contain("name: \"bottle_ed\"").And.Contain("platform: \"onnxruntime_onnx\"").And.Contain("max_batch_size: 4").And.Contain("dynamic_batching { }");

        using var session = new InferenceSession(Path.Combine(repository, "bottle_ed", "1", "model.onnx"));
        Declared(config, "input").Should().Equal(Expected(session.InputMetadata));
        Declared(config, "output").Should().Equal(Expected(session.OutputMetadata));
        Declared(config, "output").Select(t => t.Name).Should().Contain("score", "the model holds no calibration, so score is the decision's input");
    }

    [Fact]
    public async Task Predict_and_info_read_an_exported_graph_as_they_read_the_model_file()
    {
        var folder = data.NewFolder();
        var onnx = Path.Combine(folder, "bottle.onnx");
        (await CliRun.RunAsync(["export", data.ModelPath, "--output", onnx])).ExitCode.Should().Be(0);
        var images = Path.Combine(data.Mvtec, "test", "*", "*.png");

        var fromModel = await CliRun.RunAsync(["predict", data.ModelPath, images, "--output", Path.Combine(folder, "model.csv"), "--plain"]);
        var fromOnnx = await CliRun.RunAsync(["predict", onnx, images, "--output", Path.Combine(folder, "onnx.csv"), "--heatmaps", Path.Combine(folder, "heatmaps"), "--plain"]);

        fromOnnx.ExitCode.Should().Be(0, fromOnnx.Output);
        var expected = Scores(Path.Combine(folder, "model.csv"));
        var actual = Scores(Path.Combine(folder, "onnx.csv"));
        actual.Keys.Should().BeEquivalentTo(expected.Keys).And.HaveCount(6);
        foreach (var (image, score) in expected)
        {
            actual[image].Should().BeApproximately(score, Math.Abs(score) * 1e-5, image);
        }

        Directory.GetFiles(Path.Combine(folder, "heatmaps"), "*_overlay.png").Should().HaveCount(6);

        var info = await CliRun.RunAsync(["info", onnx]);
        info.ExitCode.Should().Be(0, info.Output);
        info.Output.Should().Contain("ONNX export 1").And.Contain(ModelFileInfo.Read(data.ModelPath).ContentSha256).And.Contain("resnet18").And.Contain("64x64");
    }

    [Fact]
    public async Task Test_evaluates_an_exported_graph_with_the_model_files_metrics_plots_and_panels()
    {
        var folder = data.NewFolder();
        var onnx = Path.Combine(folder, "bottle.onnx");
        (await CliRun.RunAsync(["export", data.ModelPath, "--output", onnx])).ExitCode.Should().Be(0);
        var (fromModel, fromOnnx) = (Path.Combine(folder, "model"), Path.Combine(folder, "onnx"));

        var model = await CliRun.RunAsync(["test", data.ModelPath, data.Mvtec, "--output", fromModel, "--plain"]);
        var run = await CliRun.RunAsync(["test", onnx, data.Mvtec, "--output", fromOnnx, "--heatmaps", "--plain"]);

        model.ExitCode.Should().Be(0, model.Output);
        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().Contain($"model       {onnx} (ED)").And.Contain("6 images, 3 normal, 3 defective");
        Directory.GetFiles(fromOnnx).Select(Path.GetFileName).Should().BeEquivalentTo(
            ["report.json", "report.csv", "report.txt", "roc-image.png", "roc-pixel.png", "score-histogram.png"]);
        Directory.GetFiles(Path.Combine(fromOnnx, "heatmaps"), "*.png", SearchOption.AllDirectories).Should().HaveCount(6);
        var expected = Evaluation.EvaluationReport.LoadJson(Path.Combine(fromModel, "report.json"));
        var actual = Evaluation.EvaluationReport.LoadJson(Path.Combine(fromOnnx, "report.json"));
        actual.Subsets.Select(m => m.Subset).Should().Equal(expected.Subsets.Select(m => m.Subset));
        foreach (var (e, a) in expected.Subsets.Zip(actual.Subsets))
        {
            a.PixelAuroc.Should().NotBeNull($"{a.Subset}: the export's unsmoothed map gives the reference's pixel AUROC");
            (a.Images, a.DefectiveImages, a.NormalImages).Should().Be((e.Images, e.DefectiveImages, e.NormalImages));
            foreach (var (metric, x, y) in new[]
            {
                ("imageAuroc", e.ImageAuroc, a.ImageAuroc), ("pixelAuroc", e.PixelAuroc, a.PixelAuroc), ("pixelAurocSmoothed", e.PixelAurocSmoothed, a.PixelAurocSmoothed),
                ("aupro", e.Aupro, a.Aupro), ("pixelAveragePrecision", e.PixelAveragePrecision, a.PixelAveragePrecision), ("imageF1Max", e.ImageF1Max, a.ImageF1Max),
            })
            {
                y!.Value.Should().BeApproximately(x!.Value, 1e-4, $"{a.Subset} {metric}");
            }

            a.ImageF1Threshold!.Value.Should().BeApproximately(e.ImageF1Threshold!.Value, Math.Abs(e.ImageF1Threshold.Value) * 1e-5, $"{a.Subset} F1 threshold");
        }
    }

    [Fact]
    public async Task Export_int8_calibrates_on_the_training_folder_and_info_shows_it()
    {
        var folder = data.NewFolder();
        var model = Path.Combine(folder, "hetmm.edmodel");
        var onnx = Path.Combine(folder, "hetmm-int8.onnx");
        (await CliRun.RunAsync(["fit", data.PlainTraining, "--output", model, "--method", "hetmm", "--backbone", "resnet18", "--untrained", "--image-size", "64", "--plain"])).ExitCode.Should().Be(0);

        var run = await CliRun.RunAsync(["export", model, "--output", onnx, "--graph-precision", "int8", "--calibration", data.PlainTraining, "--calibration-images", "3"]);

        run.ExitCode.Should().Be(0, run.Output);
        var training = Directory.GetFiles(data.PlainTraining).Length;
        run.Output.Should().Contain($"calibration: 3 of {training} normal images in {data.PlainTraining}");
        var info = await CliRun.RunAsync(["info", onnx]);
        info.Output.Should().Contain("int8 backbone and matching, ranges from 3 calibration images");

        using var detector = EdDetector.Load(model);
        using var session = new InferenceSession(onnx);
        session.ModelMetadata.CustomMetadataMap["precision"].Should().Be("int8");
        foreach (var image in Directory.GetFiles(Path.Combine(data.Mvtec, "test"), "*.png", SearchOption.AllDirectories))
        {
            var decoded = ImageDecoder.DecodeRgb(image);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("image", new DenseTensor<byte>(decoded.Pixels, [1, decoded.Height, decoded.Width, 3]))]);
            var score = results.Single(r => r.Name == "score").AsTensor<float>()[0];
            // Three calibration images for a tiny untrained model: a loose bound, that of the plumbing; HetmmInt8ExportTests bounds the accuracy.
            score.Should().BeApproximately(detector.Predict(image).Score, Math.Abs(score) * 0.2f, image);
        }
    }

    [Theory]
    [InlineData(new[] { "--graph-precision", "int4" }, "--graph-precision must be float32 or int8")]
    [InlineData(new[] { "--graph-precision", "int8" }, "--graph-precision int8 needs --calibration")]
    [InlineData(new[] { "--calibration", "." }, "--calibration is used by --graph-precision int8 only")]
    [InlineData(new[] { "--graph-precision", "int8", "--calibration", ".", "--calibration-images", "0" }, "--calibration-images must be positive")]
    public async Task Export_refuses_inconsistent_precision_options(string[] options, string message)
    {
        var run = await CliRun.RunAsync(["export", data.ModelPath, "--output", Path.Combine(data.NewFolder(), "m.onnx"), .. options]);

        run.ExitCode.Should().Be(2, run.Output);
        run.Output.Should().Contain(message);
    }

    [Fact]
    public async Task Export_int8_of_an_ed_model_says_which_methods_have_it()
    {
        var onnx = Path.Combine(data.NewFolder(), "ed.onnx");

        var run = await CliRun.RunAsync(["export", data.ModelPath, "--output", onnx, "--graph-precision", "int8", "--calibration", data.PlainTraining]);

        run.ExitCode.Should().NotBe(0);
        run.Output.Should().Contain("error:").And.Contain("HETMM models only");
        File.Exists(onnx).Should().BeFalse();
    }

    private static Dictionary<string, double> Scores(string csv) =>
        File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).ToDictionary(c => c[0], c => double.Parse(c[1], System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("--format", "tflite")]
    [InlineData("--max-batch", "0")]
    [InlineData("--name", "a/b")]
    public async Task Export_refuses_invalid_options(string option, string value)
    {
        var run = await CliRun.RunAsync(["export", data.ModelPath, "--format", "triton", "--output", data.NewFolder(), option, value]);

        run.ExitCode.Should().Be(2, run.Output);
        run.Output.Should().Contain("error:").And.Contain(option == "--name" ? "model name" : option);
    }

    // Triton's view: no batch dimension, a per-image scalar declared as [1] and reshaped to [].
    private static List<(string Name, string Type, string Dims)> Expected(IReadOnlyDictionary<string, NodeMetadata> tensors) =>
        tensors.Select(t =>
        {
            t.Value.Dimensions[0].Should().Be(-1, $"{t.Key} has the batch first");
            var dims = t.Value.Dimensions[1..];
            var type = t.Value.ElementDataType switch
            {
                TensorElementType.UInt8 => "TYPE_UINT8",
                TensorElementType.Float => "TYPE_FP32",
                TensorElementType.Bool => "TYPE_BOOL",
                var other => other.ToString(),
            };
            return (t.Key, type, dims.Length == 0 ? "1 reshape" : string.Join(",", dims));
        }).ToList();

    private static List<(string Name, string Type, string Dims)> Declared(string config, string kind)
    {
        var section = Regex.Match(config, $@"(?m)^{kind} \[\n(.*?)\n\]", RegexOptions.Singleline);
        section.Success.Should().BeTrue($"the config declares its {kind}s");
        return TensorBlock().Matches(section.Groups[1].Value).Select(m => (
            m.Groups["name"].Value,
            m.Groups["type"].Value,
            Regex.Replace(m.Groups["dims"].Value, @"\s", string.Empty) + (m.Groups["reshape"].Success ? " reshape" : string.Empty))).ToList();
    }

    [GeneratedRegex(@"\{\s*name: ""(?<name>[^""]+)""\s*data_type: (?<type>\w+)\s*dims: \[(?<dims>[^\]]*)\](?<reshape>\s*reshape: \{ shape: \[ \] \})?\s*\}")]
    private static partial Regex TensorBlock();
}

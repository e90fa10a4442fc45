using System.Text.Json;
using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED.Cli.Tests;

/// <summary>Every verb end to end on the tiny generated datasets, in each layout, checking the files written and the exit codes.</summary>
[Collection(CliCollection.Name)]
public sealed class VerbTests(CliDatasets data)
{
    [Theory]
    [InlineData("mvtec")]
    [InlineData("btad")]
    [InlineData("mvtec3d")]
    [InlineData("folder")]
    public async Task Fit_writes_a_loadable_model_from_each_layout(string layout)
    {
        var model = Path.Combine(data.NewFolder(), "model.edmodel");

        var run = await CliRun.RunAsync(["fit", data.Layout(layout), "--output", model, "--plain", .. CliDatasets.TinyTraining]);

        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().Contain("6 normal training images").And.Contain($"model: {model}");
        var info = ModelFileInfo.Read(model);
        info.Method.Should().Be(DetectorMethod.Ed);
        info.BackboneArchitecture.Should().Be("resnet18");
        info.Options.Backbone.KeepAspectRatio.Should().Be(layout is "btad" or "mvtec3d");
        using var detector = EdDetector.Load(model);
        detector.Predict(Directory.GetFiles(data.PlainTraining)[0]).Score.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Fit_selects_the_method_by_its_enum_name_in_any_case()
    {
        const string method = "FOD";
        var model = Path.Combine(data.NewFolder(), "model.edmodel");

        var run = await CliRun.RunAsync(["fit", data.Mvtec, "--output", model, "--method", method, "--plain", .. CliDatasets.TinyTraining]);

        run.ExitCode.Should().Be(0, run.Output);
        ModelFileInfo.Read(model).Method.Should().Be(DetectorMethod.Fod);
    }

    [Fact]
    public async Task Fit_test_and_info_run_hetmm_with_its_own_levels_and_the_category_preset()
    {
        var model = Path.Combine(data.NewFolder(), "hetmm.edmodel");

        var fit = await CliRun.RunAsync(["fit", data.Mvtec, "--output", model, "--method", "hetmm", "--backbone", "resnet18", "--untrained", "--image-size", "64", "--plain", "--progress-interval", "0"]);

        fit.ExitCode.Should().Be(0, fit.Output);
        fit.Output.Should().Contain("method      HETMM, levels layer1 + layer2 + layer3").And.Contain("matching    preset bottle").And.Contain("templates: done").And.Contain("stored the normal images' features");
        var info = ModelFileInfo.Read(model);
        (info.Method, info.Options.Hetmm!.Preset, info.TrainingData!.Templates).Should().Be((DetectorMethod.Hetmm, "bottle", 6L));

        var output = data.NewFolder();
        var test = await CliRun.RunAsync(["test", model, data.Mvtec, "--output", output, "--plain"]);
        test.ExitCode.Should().Be(0, test.Output);
        EvaluationReport.LoadJson(Path.Combine(output, "report.json")).Overall.Images.Should().Be(6);

        var shown = await CliRun.RunAsync(["info", model]);
        shown.Lines.Should().Contain(l => l.Contains("matching", StringComparison.Ordinal) && l.Contains("preset bottle", StringComparison.Ordinal));
        shown.Lines.Should().Contain(l => l.Contains("templates", StringComparison.Ordinal) && l.Contains("every normal image", StringComparison.Ordinal));
        shown.Output.Should().Contain("6 templates per pixel");
    }

    [Fact]
    public async Task Fit_takes_height_by_width_and_test_and_info_work_at_that_size()
    {
        var model = Path.Combine(data.NewFolder(), "tall.edmodel");

        var fit = await CliRun.RunAsync(["fit", data.Mvtec, "--output", model, "--method", "hetmm", "--backbone", "resnet18", "--untrained", "--image-size", "96x64", "--plain", "--progress-interval", "0"]);

        fit.ExitCode.Should().Be(0, fit.Output);
        var options = ModelFileInfo.Read(model).Options.Backbone;
        (options.ImageHeight, options.ImageWidth).Should().Be((96, 64), "HxW is height first, as EdDetectorBuilder.WithImageSize(height, width)");
        var shown = await CliRun.RunAsync(["info", model]);
        shown.Lines.Should().Contain(l => l.Contains("input", StringComparison.Ordinal) && l.Contains("96x64 (height x width)", StringComparison.Ordinal), shown.Output);

        var output = data.NewFolder();
        var test = await CliRun.RunAsync(["test", model, data.Mvtec, "--output", output, "--plain", "--heatmaps"]);
        test.ExitCode.Should().Be(0, test.Output);
        Directory.GetFiles(Path.Combine(output, "heatmaps"), "*.png", SearchOption.AllDirectories).Should().HaveCount(6);
    }

    [Theory]
    [InlineData("mvtec")]
    [InlineData("btad")]
    [InlineData("mvtec3d")]
    [InlineData("folder")]
    public async Task Test_writes_the_report_and_the_plots_for_each_layout(string layout)
    {
        var output = data.NewFolder();

        var run = await CliRun.RunAsync(["test", data.ModelPath, data.TestLayout(layout), "--output", output, "--plain"]);

        run.ExitCode.Should().Be(0, run.Output);
        var report = EvaluationReport.LoadJson(Path.Combine(output, "report.json"));
        report.Overall.Images.Should().Be(6);
        report.Overall.DefectiveImages.Should().Be(3);
        report.Overall.PixelAuroc.Should().NotBeNull("every layout has masks");
        File.ReadAllLines(Path.Combine(output, "report.csv")).Length.Should().BeGreaterThan(1);
        File.ReadAllText(Path.Combine(output, "report.txt")).Should().Contain("overall");
        foreach (var plot in new[] { "roc-image.png", "roc-pixel.png", "score-histogram.png" })
        {
            var image = ImageDecoder.DecodeRgb(Path.Combine(output, plot));
            (image.Width, image.Height).Should().Be((800, 600), plot);
        }

        run.Output.Should().Contain("image AUROC").And.Contain("overall");
    }

    [Fact]
    public async Task Redirected_output_prints_the_report_table_at_its_natural_width()
    {
        // A long defect-type name, as MVTec AD's broken_large: Spectre takes an unknown console width as 80 columns and broke it in two.
        var test = data.NewFolder();
        foreach (var file in Directory.GetFiles(data.PlainTest, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(test, Path.GetRelativePath(data.PlainTest, file).Replace("scratch", "broken_large", StringComparison.Ordinal));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var run = await CliRun.RunAsync(["test", data.ModelPath, test, "--output", data.NewFolder(), "--plain"], width: 80);

        run.ExitCode.Should().Be(0, run.Output);
        run.Lines.Should().Contain(l => l.Contains("│ broken_large │", StringComparison.Ordinal), run.Output);
        run.Lines.Should().Contain(l => l.Contains("image AUROC", StringComparison.Ordinal) && l.Contains("image F1-max", StringComparison.Ordinal), "each header on one row");
    }

    [Fact]
    public async Task Test_writes_captioned_heatmap_panels_on_request()
    {
        var output = data.NewFolder();

        var run = await CliRun.RunAsync(["test", data.ModelPath, data.PlainTest, "--output", output, "--heatmaps", "--plain"]);

        run.ExitCode.Should().Be(0, run.Output);
        var panels = Directory.GetFiles(Path.Combine(output, "heatmaps"), "*.png", SearchOption.AllDirectories);
        panels.Should().HaveCount(6);
        var panel = ImageDecoder.DecodeRgb(panels[0]);
        panel.Width.Should().BeGreaterThan(CliDatasets.Size, "the panel adds the colour bar and the caption");
        run.Output.Should().Contain("heatmaps: done");
    }

    [Fact]
    public async Task Test_scores_the_test_set_once_for_the_report_the_plots_and_the_heatmaps()
    {
        var output = data.NewFolder();

        var run = await CliRun.RunAsync(["test", data.ModelPath, data.PlainTest, "--output", output, "--heatmaps", "--plain", "--progress-interval", "0"]);

        run.ExitCode.Should().Be(0, run.Output);
        // Every progress report is printed: the one scoring step reports each of the 6 images once, and the heatmaps
        // are drawn from its maps (their step reports drawing, not scoring).
        var steps = run.Lines.Where(l => l.Contains(" images (", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToArray();
        steps.Distinct().Should().Equal("evaluation", "heatmaps");
        run.Lines.Where(l => l.StartsWith("evaluation: ", StringComparison.Ordinal) && l.Contains(" images (", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[1]).Should().Equal("1/6", "2/6", "3/6", "4/6", "5/6", "6/6");

        Directory.GetFiles(Path.Combine(output, "heatmaps"), "*.png", SearchOption.AllDirectories).Should().HaveCount(6);
        File.Exists(Path.Combine(output, "roc-pixel.png")).Should().BeTrue();
    }

    [Fact]
    public async Task Predict_scores_files_folders_and_globs_and_writes_csv_json_and_heatmaps()
    {
        var output = data.NewFolder();
        var good = Path.Combine(data.PlainTest, "good");
        var single = Directory.GetFiles(Path.Combine(data.PlainTest, "scratch"))[0];
        var csv = Path.Combine(output, "scores.csv");

        var run = await CliRun.RunAsync(["predict", data.ModelPath, good, single, Path.Combine(data.PlainTest, "s*", "*.png"), "--output", csv, "--heatmaps", Path.Combine(output, "maps"), "--threshold", "0", "--plain"]);

        run.ExitCode.Should().Be(0, run.Output);
        var expected = Directory.GetFiles(good).Length + 3; // scratch (also matched by the glob, counted once), spot and stain
        File.ReadAllLines(csv).Should().HaveCount(expected + 1);
        run.Lines.Count(l => l.Contains("anomalous", StringComparison.Ordinal) && l.EndsWith(".png", StringComparison.Ordinal)).Should().Be(expected);
        Directory.GetFiles(Path.Combine(output, "maps")).Should().HaveCount(expected);
        run.Lines.Should().Contain(l => l.StartsWith($"scored {expected} image(s) in ", StringComparison.Ordinal) && l.Contains("s/image) after loading the model in", StringComparison.Ordinal));

        var json = Path.Combine(output, "scores.json");
        (await CliRun.RunAsync(["predict", data.ModelPath, good, "--output", json, "--plain"])).ExitCode.Should().Be(0);
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        document.RootElement.GetProperty("predictions").GetArrayLength().Should().Be(Directory.GetFiles(good).Length);
    }

    [Fact]
    public async Task Info_shows_the_method_backbone_fingerprint_and_verified_hash()
    {
        var run = await CliRun.RunAsync(["info", data.ModelPath]);

        run.ExitCode.Should().Be(0, run.Output);
        var info = ModelFileInfo.Read(data.ModelPath);
        run.Output.Should().Contain("ED").And.Contain("resnet18").And.Contain(info.BackboneFingerprint).And.Contain("verified").And.Contain("layer2 + layer3");

        var json = await CliRun.RunAsync(["info", data.ModelPath, "--json"]);
        using var document = JsonDocument.Parse(json.Output);
        document.RootElement.GetProperty("method").GetString().Should().Be("ED");
    }

    [Fact]
    public async Task Info_shows_the_training_data_summary_or_that_the_file_does_not_record_one()
    {
        var run = await CliRun.RunAsync(["info", data.ModelPath]);

        run.ExitCode.Should().Be(0, run.Output);
        var summary = run.Lines.Should().ContainSingle(l => l.Contains("training data", StringComparison.Ordinal)).Subject;
        summary.Should().Contain("6 normal images from 1 source(s)").And.Contain("sizes 64x64").And.Contain("1 epochs");
        run.Lines.Should().ContainSingle(l => l.Contains("training source 1", StringComparison.Ordinal))
            .Which.Should().Contain("MVTec AD/bottle/train").And.Contain(Path.Combine(data.Mvtec, "train", "good"));

        var legacy = await CliRun.RunAsync(["info", Path.Combine(AppContext.BaseDirectory, "LegacyModels", "v1-ed.edmodel"), "--json"]);
        legacy.ExitCode.Should().Be(0, legacy.Output);
        using var document = JsonDocument.Parse(legacy.Output);
        document.RootElement.GetProperty("training data").GetString().Should().StartWith("not recorded");
    }

    [Fact]
    public async Task Info_rejects_a_modified_model_file_in_one_line()
    {
        var copy = Path.Combine(data.NewFolder(), "tampered.edmodel");
        var bytes = File.ReadAllBytes(data.ModelPath);
        bytes[^1] ^= 0x55;
        File.WriteAllBytes(copy, bytes);

        var run = await CliRun.RunAsync(["info", copy]);

        run.ExitCode.Should().Be(2);
        run.Lines.Should().ContainSingle().Which.Should().Contain("content hash");
    }

    [Fact]
    public async Task Benchmark_runs_the_categories_and_prints_the_summary()
    {
        var output = data.NewFolder();

        var run = await CliRun.RunAsync(["benchmark", Path.GetDirectoryName(data.Mvtec)!, "--dataset", "mvtec", "--categories", "bottle", "--output", output, "--plain", .. CliDatasets.TinyTraining]);

        run.ExitCode.Should().Be(0, run.Output);
        File.ReadAllLines(Path.Combine(output, "summary.csv")).Should().HaveCount(2).And.Contain(l => l.StartsWith("bottle,", StringComparison.Ordinal));
        EvaluationReport.LoadJson(Path.Combine(output, "bottle", "report.json")).Overall.Images.Should().Be(6);
        File.Exists(Path.Combine(output, "bottle", "model.edmodel")).Should().BeTrue();
        run.Output.Should().Contain("mean");
    }
}

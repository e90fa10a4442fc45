namespace Anomaly.ED.Cli.Tests;

/// <summary>Bad arguments and wrong dataset folders give exit code 2 and one line that says what was expected.</summary>
[Collection(CliCollection.Name)]
public sealed class ErrorTests(CliDatasets data)
{
    [Theory]
    [InlineData(new[] { "train" }, "train")]
    [InlineData(new[] { "fit" }, "DATA")]
    [InlineData(new[] { "fit", ".", "--epochs", "many" }, "--epochs takes a whole number (e.g. 8), got 'many'.")]
    [InlineData(new[] { "fit", ".", "--image-size", "640x256x3" }, "--image-size takes N or HxW (height x width in pixels, e.g. 256 or 640x256), got '640x256x3'.")]
    [InlineData(new[] { "fit", ".", "-s=wide" }, "-s takes N or HxW")]
    [InlineData(new[] { "fit", ".", "--image-size", "16x300" }, "--image-size must be at least 32 pixels each way, got 16x300.")]
    [InlineData(new[] { "fit", ".", "--learning-rate", "fast" }, "--learning-rate takes a number (e.g. 0.01), got 'fast'.")]
    [InlineData(new[] { "fit", ".", "--layout", "kolektor" }, "--layout takes one of auto, folder, mvtec, btad, mvtec3d, got 'kolektor'.")]
    [InlineData(new[] { "test", "m.edmodel", ".", "--progress-interval", "often" }, "--progress-interval takes a number")]
    [InlineData(new[] { "predict", "m.edmodel", "x.png", "--precision", "half" }, "--precision must be float32, bfloat16 or float16, got 'half'.")]
    [InlineData(new[] { "predict", "m.edmodel", "x.png", "-b", "all" }, "-b takes a whole number")]
    [InlineData(new[] { "predict", "m.edmodel", "x.png", "--threshold", "high" }, "--threshold takes a number")]
    [InlineData(new[] { "fit", ".", "--no-such-option" }, "no-such-option")]
    [InlineData(new[] { "fit", ".", "--method", "patchcore" }, "ed, fod")]
    [InlineData(new[] { "fit", ".", "--untrained", "--download" }, "--untrained excludes")]
    [InlineData(new[] { "fit", ".", "--dims", "64" }, "--dims needs --levels")]
    [InlineData(new[] { "fit", ".", "--method", "hetmm", "--dims", "64" }, "--dims needs --levels")]
    [InlineData(new[] { "fit", ".", "--method", "hetmm", "--template-sheets", "0" }, "--template-sheets must be positive")]
    [InlineData(new[] { "predict", "m.edmodel", "x.png", "--output", "scores.txt" }, ".csv or .json")]
    [InlineData(new[] { "benchmark", ".", "--dataset", "kolektor" }, "mvtec, btad or mvtec3d")]
    [InlineData(new[] { "benchmark", ".", "--dataset", "btad", "--categories", "bottle" }, "01, 02, 03")]
    [InlineData(new[] { "serve", "a.edmodel", "--name", "a", "--name", "b" }, "--name is given 2 times for 1 model file(s)")]
    [InlineData(new[] { "serve", "missing.edmodel", "--urls", "http://127.0.0.1:0" }, "Models[0].Path 'missing.edmodel' does not exist")]
    [InlineData(new[] { "serve", "missing.edmodel", "--name", "../etc", "--max-batch", "0", "--urls", "http://127.0.0.1:0" }, "name '../etc' is not a valid model name")]
    [InlineData(new[] { "serve", "missing.edmodel", "--max-batch", "0", "--urls", "http://127.0.0.1:0" }, "MaxBatchSize = 0 must be positive.")]
    public async Task Bad_command_lines_are_one_line_errors(string[] args, string expected)
    {
        var run = await CliRun.RunAsync(args);

        run.ExitCode.Should().Be(2, run.Output);
        run.Lines.Should().ContainSingle(run.Output).Which.Should().StartWith("error:").And.Contain(expected).And.NotContain("`1").And.NotContain("Int32");
    }

    [Fact]
    public async Task A_missing_dataset_folder_says_what_was_expected()
    {
        var missing = Path.Combine(data.Root, "no-such-folder");

        var run = await CliRun.RunAsync(["fit", missing, "--untrained"]);

        run.ExitCode.Should().Be(2);
        run.Lines.Should().ContainSingle().Which.Should().Contain("does not exist").And.Contain("expected a folder of normal images");
    }

    [Fact]
    public async Task A_test_folder_without_normal_images_says_what_was_expected()
    {
        var run = await CliRun.RunAsync(["test", data.ModelPath, data.PlainTraining]);

        run.ExitCode.Should().Be(2);
        run.Lines.Should().ContainSingle().Which.Should().Contain("no good/ folder");
    }

    [Fact]
    public async Task A_folder_in_the_wrong_layout_is_named()
    {
        var run = await CliRun.RunAsync(["fit", data.Btad, "--layout", "mvtec3d", "--untrained"]);

        run.ExitCode.Should().Be(2);
        run.Lines.Should().ContainSingle().Which.Should().Contain("is not laid out as Mvtec3d").And.Contain("looks like Btad");
    }

    [Fact]
    public async Task An_empty_training_folder_says_what_was_expected()
    {
        var empty = data.NewFolder();

        var run = await CliRun.RunAsync(["fit", empty, "--untrained"]);

        run.ExitCode.Should().Be(2);
        run.Lines.Should().ContainSingle().Which.Should().Contain("No images");
    }

    [Fact]
    public async Task A_missing_model_file_is_an_input_error()
    {
        var run = await CliRun.RunAsync(["predict", Path.Combine(data.Root, "none.edmodel"), data.PlainTraining]);

        run.ExitCode.Should().Be(2);
        run.Lines.Should().ContainSingle().Which.Should().Contain("none.edmodel");
    }

    [Fact]
    public async Task A_catalog_checkpoint_missing_from_the_cache_explains_how_to_get_it()
    {
        var cache = data.NewFolder();

        var run = await CliRun.RunAsync(["fit", data.Mvtec, "--backbone", "resnet18", "--cache", cache]);

        run.ExitCode.Should().Be(2);
        run.Lines.Should().ContainSingle().Which.Should().Contain("resnet18.tv_in1k").And.Contain("--download").And.Contain(cache);
    }
}

using System.Diagnostics;

namespace Anomaly.ED.Cli.Tests;

/// <summary>Progress is reported per step (per image batch, per training step), live on a terminal and as lines otherwise; Ctrl+C saves nothing.</summary>
[Collection(CliCollection.Name)]
public sealed class ProgressTests(CliDatasets data)
{
    [Fact]
    public async Task Plain_output_reports_every_reference_batch_training_step_and_evaluated_image()
    {
        var model = Path.Combine(data.NewFolder(), "model.edmodel");
        var tiny = CliDatasets.WithEpochs(2);

        var fit = await CliRun.RunAsync(["fit", data.Mvtec, "--output", model, "--plain", .. tiny]);

        fit.ExitCode.Should().Be(0, fit.Output);
        // 6 images in batches of 4: the reference pass reports 4 then 6 images; training reports each of 2 x 2 steps.
        fit.Lines.Should().Contain(l => l.StartsWith("reference features: 4/6 images", StringComparison.Ordinal));
        fit.Lines.Should().Contain(l => l.StartsWith("reference features: 6/6 images", StringComparison.Ordinal));
        var steps = fit.Lines.Where(l => l.StartsWith("training: ", StringComparison.Ordinal) && l.Contains("steps", StringComparison.Ordinal)).ToArray();
        steps.Select(l => l.Split(' ')[1]).Should().Equal("1/4", "2/4", "3/4", "4/4");
        steps[^1].Should().Contain("epoch 2/2").And.Contain("loss").And.Contain("images/s").And.Contain("left");

        var test = await CliRun.RunAsync(["test", model, data.PlainTest, "--output", data.NewFolder(), "--plain", "--progress-interval", "0"]);
        test.Lines.Count(l => l.StartsWith("evaluation: ", StringComparison.Ordinal) && l.Contains("/6 images", StringComparison.Ordinal)).Should().Be(6);
    }

    [Fact]
    public async Task A_terminal_gets_live_progress_bars()
    {
        var run = await CliRun.RunAsync(["fit", data.PlainTraining, "--output", Path.Combine(data.NewFolder(), "m.edmodel"), .. CliDatasets.TinyTraining], interactive: true);

        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().Contain("\u001b[", "a live display redraws with ANSI sequences").And.Contain("training").And.Contain("reference features");
        run.Lines.Should().NotContain(l => l.StartsWith("training: ", StringComparison.Ordinal), "no plain log lines on a terminal");
    }

    [Fact]
    public async Task Ctrl_C_stops_training_after_the_current_step_with_exit_code_130_and_no_model()
    {
        var model = Path.Combine(data.NewFolder(), "model.edmodel");
        var endless = CliDatasets.WithEpochs(100000);
        using var cancellation = new CancellationTokenSource();

        // Ctrl+C as soon as the first training step is reported.
        var run = await CliRun.RunAsync(["fit", data.Mvtec, "--output", model, "--plain", .. endless], onLine: line =>
        {
            if (line.StartsWith("training: ", StringComparison.Ordinal))
            {
                cancellation.Cancel();
            }
        }, cancellationToken: cancellation.Token);

        run.ExitCode.Should().Be(130, run.Output);
        run.Lines.Should().ContainSingle(l => l.StartsWith("training: ", StringComparison.Ordinal), "training stops after the step that was running");
        run.Lines[^1].Should().Be("cancelled: stopped after the current step; nothing half-written was saved.");
        Directory.GetFiles(Path.GetDirectoryName(model)!).Should().BeEmpty("nothing half-written is left");
    }

    [Fact]
    public async Task The_built_tool_runs_as_a_process_with_plain_output()
    {
        // The one test that runs the built executable, with its output redirected as in CI.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "anomaly-ed.dll"), "info", data.ModelPath })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.Should().Be(0, output + errors);
        output.Should().Contain("verified").And.NotContain("\u001b[", "redirected output gets no ANSI sequences");
    }
}

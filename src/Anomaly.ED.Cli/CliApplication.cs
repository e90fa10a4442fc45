using Anomaly.ED.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli;

/// <summary>The <c>anomaly-ed</c> command tree, runnable in-process on any console (tests use Spectre's test console).</summary>
internal static class CliApplication
{
    /// <summary>Runs one command line and returns its exit code (see <see cref="ExitCodes"/>).</summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <param name="console">Where output, progress and errors go.</param>
    /// <param name="cancellationToken">Ctrl+C: stops after the current step.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, IAnsiConsole console, CancellationToken cancellationToken = default)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("anomaly-ed");
            config.ConfigureConsole(console);
            config.UseStrictParsing();
            config.CancellationExitCode(ExitCodes.Cancelled);
            config.SetExceptionHandler((exception, _) =>
            {
                // Parse and validation errors of the command line: one line that says what was expected.
                console.Profile.Out.Writer.WriteLine($"error: {OptionErrors.Describe(exception, args).ReplaceLineEndings(" ")}");
                return ExitCodes.InvalidInput;
            });
            config.AddCommand<FitCommand>("fit")
                .WithDescription("Train a detector on normal images and write the model file.")
                .WithExample("fit", "data/bottle", "--output", "bottle.edmodel", "--download");
            config.AddCommand<TestCommand>("test")
                .WithDescription("Evaluate a model on a labelled test set: table, JSON, CSV, ROC and histogram plots, heatmaps.")
                .WithExample("test", "bottle.edmodel", "data/bottle", "--output", "results", "--heatmaps");
            config.AddCommand<PredictCommand>("predict")
                .WithDescription("Score images (files, folders, globs): one line per image, CSV/JSON, heatmaps.")
                .WithExample("predict", "bottle.edmodel", "incoming/*.png", "--output", "scores.csv");
            config.AddCommand<InfoCommand>("info")
                .WithDescription("Show what a model file holds and verify its content hash.")
                .WithExample("info", "bottle.edmodel");
            config.AddCommand<ExportCommand>("export")
                .WithDescription("Export a model as an ONNX graph (pixels to decision), alone or as a Triton model repository.")
                .WithExample("export", "bottle.edmodel", "--format", "triton", "--output", "models", "--name", "bottle");
            config.AddCommand<ServeCommand>("serve")
                .WithDescription("Host models as a prediction service: REST API, web page, health checks, metrics.")
                .WithExample("serve", "bottle.edmodel", "screw.edmodel", "--urls", "http://127.0.0.1:5000");
            config.AddCommand<BenchmarkCommand>("benchmark")
                .WithDescription("Train and evaluate every category of MVTec AD, BTAD or MVTec 3D-AD, with a per-category and mean table.")
                .WithExample("benchmark", "data/mvtec_anomaly_detection", "--dataset", "mvtec", "--download");
        });

        return await app.RunAsync(args, cancellationToken).ConfigureAwait(false);
    }
}

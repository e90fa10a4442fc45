using System.Globalization;
using Anomaly.ED.Cli.Datasets;
using Anomaly.ED.Cli.Progress;
using Anomaly.ED.Data;
using Anomaly.ED.Methods;
using Anomaly.ED.Pretrained;
using Anomaly.ED.Training;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Anomaly.ED.Cli.Commands;

/// <summary><c>fit</c>: trains a detector on normal images and writes the model file (only when training finished).</summary>
internal sealed class FitCommand(IAnsiConsole console) : CliCommand<FitSettings>(console)
{
    protected override async Task<int> RunAsync(FitSettings settings, ProgressDisplay display, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var data = DatasetFolder.Locate(settings.Data, settings.Layout);
        var training = data.OpenTraining(loggerFactory.CreateLogger("anomaly-ed"));
        var weights = await DetectorFactory.ResolveWeightsAsync(settings, display, cancellationToken).ConfigureAwait(false);
        using var detector = await DetectorFactory.CreateBuilder(settings, weights, training)
            .WithLoggerFactory(loggerFactory)
            .BuildAsync(cancellationToken)
            .ConfigureAwait(false);
        Describe(Console, detector, weights, training, data);
        var result = Train(detector, training, settings, display, cancellationToken);
        var output = Path.GetFullPath(settings.Output);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        detector.Save(output, settings.IncludeBackbone);
        var done = MethodDescriptor.For(detector.Method).TrainsForEpochs ? string.Create(CultureInfo.InvariantCulture, $"trained {result.EpochsCompleted} epochs") : "stored the normal images' features";
        Line($"{done} in {Clock.Format(result.Duration)}{Calibrated(detector)}");
        Line(string.Create(CultureInfo.InvariantCulture, $"model: {output} ({new FileInfo(output).Length / (1024.0 * 1024.0):F1} MiB)"));
        return ExitCodes.Success;
    }

    /// <summary>Prints what is about to be trained; shared with <c>benchmark</c>.</summary>
    internal static void Describe(IAnsiConsole console, EdDetector detector, BackboneWeights weights, ImageDataset training, DatasetFolder data)
    {
        var o = detector.Options;
        var b = o.Backbone;
        var method = MethodDescriptor.For(o.Method);
        var writer = console.Profile.Out.Writer;
        writer.WriteLine($"data        {data.Path} ({data.Layout}): {training.Count} normal training images");
        writer.WriteLine($"method      {method.DisplayName}, levels {string.Join(" + ", b.Levels ?? [])}");
        writer.WriteLine($"backbone    {weights}");
        foreach (var (name, value) in method.DescribeSettings(o))
        {
            writer.WriteLine($"{name,-11} {value}");
        }

        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"input       {b.ImageHeight}x{b.ImageWidth}{(b.KeepAspectRatio ? " (short side + centre crop)" : string.Empty)}, device {o.Runtime.Device}, precision {o.Runtime.Precision}, seed {o.Seed}"));
        if (!weights.IsPretrained)
        {
            console.Profile.Out.Writer.WriteLine("note: untrained backbone weights: the scores only show that the setup runs.");
        }
    }

    /// <summary>Trains with live progress (reference pass per image batch, training per step); shared with <c>benchmark</c>.</summary>
    internal static TrainingResult Train(EdDetector detector, ImageDataset training, TrainingSettings settings, ProgressDisplay display, CancellationToken cancellationToken)
    {
        var fit = settings.Calibrate is { } fpr
            ? new FitOptions { ValidationFraction = 0.2, CalibrationFalsePositiveRate = fpr }
            : new FitOptions();
        return display.Run(board =>
        {
            var reporter = new FitProgressReporter(board, MethodDescriptor.For(detector.Method));
            var result = detector.Fit(training, fit, reporter, cancellationToken);
            reporter.Complete();
            return result;
        });
    }

    private static string Calibrated(EdDetector detector) =>
        detector.Calibration is { } c ? string.Create(CultureInfo.InvariantCulture, $"; decision threshold {c.Threshold:G6}") : string.Empty;
}

using System.Globalization;
using Anomaly.ED.Cli.Datasets;
using Anomaly.ED.Cli.Output;
using Anomaly.ED.Cli.Progress;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using static TorchSharp.torch;

namespace Anomaly.ED.Cli.Commands;

/// <summary><c>test</c>: evaluates a model on a labelled test set and writes the report, the plots and, on request, heatmaps.</summary>
internal sealed class TestCommand(IAnsiConsole console) : CliCommand<TestSettings>(console)
{
    protected override Task<int> RunAsync(TestSettings settings, ProgressDisplay display, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var data = DatasetFolder.Locate(settings.Data, settings.Layout);
        var test = data.OpenTest(loggerFactory.CreateLogger("anomaly-ed"));
        using var detector = settings.Load(loggerFactory);
        var output = Path.GetFullPath(settings.Output);
        Directory.CreateDirectory(output);
        Line($"model       {Path.GetFullPath(settings.Model)} ({detector.Method.ToString().ToUpperInvariant()})");
        Line($"test set    {data.Path} ({data.Layout}): {test.Count} images, {test.NormalCount} normal, {test.DefectiveCount} defective");

        var items = test.Items;
        var (report, predictions) = display.Run(board =>
        {
            var line = board.Start("evaluation", items.Count, "images");
            var report = detector.Evaluate(test, new CountProgress(line, items.Count), cancellationToken);
            line.Complete();
            var predictions = Predictions.Score(detector, [.. items.Select(i => i.ImagePath)], settings.BatchSize, board.Start("scores for plots", items.Count, "images"), cancellationToken);
            return (report, predictions);
        });

        Console.Write(ReportTable.Create(report));
        report.SaveJson(Path.Combine(output, "report.json"));
        report.SaveCsv(Path.Combine(output, "report.csv"));
        OutputFiles.WriteText(Path.Combine(output, "report.txt"), report.ToTable());
        var written = new List<string> { "report.json", "report.csv", "report.txt" };

        var (threshold, thresholdLabel) = detector.Calibration is { } calibration
            ? ((double?)calibration.Threshold, "calibrated threshold")
            : (report.Overall.ImageF1Threshold, "F1-max threshold");
        var scores = predictions.Select(p => p.Score).ToArray();
        var labels = items.Select(i => i.IsDefective).ToArray();
        if (labels.Contains(true) && labels.Contains(false))
        {
            OutputFiles.WriteBytes(Path.Combine(output, "roc-image.png"), Plots.Roc(RocCurve.Compute(scores, labels), "image ROC"));
            written.Add("roc-image.png");
        }

        if (items.Any(i => i.MaskPath is not null) && labels.Contains(false))
        {
            var (pixelScores, pixelLabels) = PixelScores(detector, items, predictions);
            OutputFiles.WriteBytes(Path.Combine(output, "roc-pixel.png"), Plots.Roc(RocCurve.Compute(pixelScores, pixelLabels), "pixel ROC (smoothed maps, model resolution)"));
            written.Add("roc-pixel.png");
        }

        OutputFiles.WriteBytes(
            Path.Combine(output, "score-histogram.png"),
            Plots.ScoreHistogram([.. scores.Where((_, i) => !labels[i])], [.. scores.Where((_, i) => labels[i])], threshold, thresholdLabel));
        written.Add("score-histogram.png");

        if (settings.Heatmaps)
        {
            var count = display.Run(board => WriteHeatmaps(detector, items, predictions, threshold, thresholdLabel, Path.Combine(output, "heatmaps"), board, cancellationToken));
            written.Add($"heatmaps/ ({count} panels)");
        }

        Line($"written to {output}: {string.Join(", ", written)}");
        return Task.FromResult(ExitCodes.Success);
    }

    // Pixel labels in the model's geometry (the masks through the model's own transform) beside the smoothed maps.
    private static (float[] Scores, bool[] Labels) PixelScores(EdDetector detector, IReadOnlyList<DatasetItem> items, IReadOnlyList<AnomalyPrediction> predictions)
    {
        var pixels = predictions[0].Map.Values.Length;
        var scores = new float[items.Count * pixels];
        var labels = new bool[items.Count * pixels];
        for (var i = 0; i < items.Count; i++)
        {
            predictions[i].Map.Values.CopyTo(scores, i * pixels);
            if (items[i].MaskPath is { } maskPath)
            {
                using var scope = NewDisposeScope();
                var mask = detector.Transform.TransformMask(ImageDecoder.DecodeGray(maskPath), 0, 0).data<float>().ToArray();
                for (var p = 0; p < pixels; p++)
                {
                    labels[(i * pixels) + p] = mask[p] > 0.5f;
                }
            }
        }

        return (scores, labels);
    }

    private static int WriteHeatmaps(EdDetector detector, IReadOnlyList<DatasetItem> items, IReadOnlyList<AnomalyPrediction> predictions, double? threshold, string thresholdLabel, string directory, IProgressBoard board, CancellationToken cancellationToken)
    {
        // One colour scale for the whole test set, so that normal images look calm and defective ones hot.
        var range = HeatmapRange.Spanning(predictions.Select(p => p.Map));
        var options = new VisualizationOptions { Range = range };
        var heatmaps = new DetectorHeatmaps(detector);
        var line = board.Start("heatmaps", items.Count, "images");
        var progress = new CountProgress(line, items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (item, prediction) = (items[i], predictions[i]);
            var overlay = heatmaps.RenderOverlay(prediction, item.MaskPath, options);
            var decision = prediction.IsAnomalous is { } anomalous
                ? anomalous ? "ANOMALOUS" : "normal"
                : threshold is { } t ? (prediction.Score >= t ? "ANOMALOUS" : "normal") + $" ({thresholdLabel})" : "no threshold";
            var caption = string.Create(CultureInfo.InvariantCulture, $"{item.DefectType}/{Path.GetFileName(item.ImagePath)}  score {prediction.Score:G4}  {decision}");
            var panel = Plots.HeatmapPanel(overlay, range.Low, range.High, caption);
            OutputFiles.WriteBytes(Path.Combine(directory, item.DefectType, Path.GetFileNameWithoutExtension(item.ImagePath) + ".png"), panel);
            progress.Report(i + 1);
        }

        line.Complete();
        return items.Count;
    }
}

using System.Globalization;
using Anomaly.ED.Cli.Datasets;
using Anomaly.ED.Cli.Models;
using Anomaly.ED.Cli.Output;
using Anomaly.ED.Cli.Progress;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Scoring;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Anomaly.ED.Cli.Commands;

/// <summary><c>test</c>: evaluates a model on a labelled test set and writes the report, the plots and, on request, heatmaps.</summary>
internal sealed class TestCommand(IAnsiConsole console) : CliCommand<TestSettings>(console)
{
    protected override Task<int> RunAsync(TestSettings settings, ProgressDisplay display, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var data = DatasetFolder.Locate(settings.Data, settings.Layout);
        var test = data.OpenTest(loggerFactory.CreateLogger("anomaly-ed"));
        using var detector = settings.LoadForPrediction(loggerFactory);
        var output = Path.GetFullPath(settings.Output);
        Directory.CreateDirectory(output);
        Line($"model       {Path.GetFullPath(settings.Model)} ({detector.Method.ToString().ToUpperInvariant()})");
        Line($"test set    {data.Path} ({data.Layout}): {test.Count} images, {test.NormalCount} normal, {test.DefectiveCount} defective");

        // One scoring pass: the report, the plots and the heatmaps all come from it. A calibrated model's colour scale
        // is known before scoring, so its panels are drawn while the next images are scored; otherwise the scale spans
        // the whole test set and the panels follow the scoring, drawn on every core.
        var images = new List<TestImage>(test.Count);
        var calibrated = detector.Calibration?.Normalization is { } normalization ? HeatmapRange.FromNormalization(normalization) : null;
        var panels = 0;
        var report = display.Run(board =>
        {
            var line = board.Start("evaluation", test.Count, "images");
            using var writer = settings.Heatmaps && calibrated is not null ? new PanelWriter(board, test.Count, cancellationToken) : null;
            var evaluated = detector.Evaluate(
                test,
                new CountProgress(line, test.Count),
                e =>
                {
                    var image = new TestImage(e.Item, e.Prediction.Score, e.Prediction.Map, [.. e.Mask]);
                    images.Add(image);
                    writer?.Add(() => Panel(detector, image, calibrated!, null, string.Empty, output));
                },
                cancellationToken);
            line.Complete();
            panels = writer?.Complete() ?? 0;
            return evaluated;
        });

        Write(ReportTable.Create(report));
        report.SaveJson(Path.Combine(output, "report.json"));
        report.SaveCsv(Path.Combine(output, "report.csv"));
        OutputFiles.WriteText(Path.Combine(output, "report.txt"), report.ToTable());
        var written = new List<string> { "report.json", "report.csv", "report.txt" };

        var (threshold, thresholdLabel) = detector.Calibration is { } calibration
            ? ((double?)calibration.Threshold, "calibrated threshold")
            : (report.Overall.ImageF1Threshold, "F1-max threshold");
        var scores = images.Select(i => i.Score).ToArray();
        var labels = images.Select(i => i.Item.IsDefective).ToArray();
        if (labels.Contains(true) && labels.Contains(false))
        {
            OutputFiles.WriteBytes(Path.Combine(output, "roc-image.png"), Plots.Roc(RocCurve.Compute(scores, labels), "image ROC"));
            written.Add("roc-image.png");
        }

        if (images.Any(i => i.Item.MaskPath is not null) && labels.Contains(false))
        {
            var (pixelScores, pixelLabels) = PixelScores(images);
            OutputFiles.WriteBytes(Path.Combine(output, "roc-pixel.png"), Plots.Roc(RocCurve.Compute(pixelScores, pixelLabels), "pixel ROC (smoothed maps, model resolution)"));
            written.Add("roc-pixel.png");
        }

        OutputFiles.WriteBytes(
            Path.Combine(output, "score-histogram.png"),
            Plots.ScoreHistogram([.. scores.Where((_, i) => !labels[i])], [.. scores.Where((_, i) => labels[i])], threshold, thresholdLabel));
        written.Add("score-histogram.png");

        if (settings.Heatmaps && calibrated is null)
        {
            // One colour scale for the whole test set, so that normal images look calm and defective ones hot.
            var range = HeatmapRange.Spanning(images.Select(i => i.Map));
            panels = display.Run(board =>
            {
                using var writer = new PanelWriter(board, images.Count, cancellationToken);
                foreach (var image in images)
                {
                    writer.Add(() => Panel(detector, image, range, threshold, thresholdLabel, output));
                }

                return writer.Complete();
            });
        }

        if (settings.Heatmaps)
        {
            written.Add($"heatmaps/ ({panels} panels)");
        }

        Line($"written to {output}: {string.Join(", ", written)}");
        return Task.FromResult(ExitCodes.Success);
    }

    // The smoothed maps beside the masks, both in the model's geometry (the masks went through the model's own transform).
    private static (float[] Scores, bool[] Labels) PixelScores(IReadOnlyList<TestImage> images)
    {
        var pixels = images[0].Map.Values.Length;
        var scores = new float[images.Count * pixels];
        var labels = new bool[images.Count * pixels];
        for (var i = 0; i < images.Count; i++)
        {
            images[i].Map.Values.CopyTo(scores, i * pixels);
            images[i].Mask?.CopyTo(labels, i * pixels);
        }

        return (scores, labels);
    }

    // One panel: the overlay in the image's own geometry, the colour bar of the range, the decision in the caption
    // (the model's calibration, else the test set's threshold). Runs on a PanelWriter worker.
    private static (string Path, byte[] Png) Panel(PredictingModel detector, TestImage image, HeatmapRange range, double? threshold, string thresholdLabel, string output)
    {
        var (item, score, map, _) = image;
        var anomalous = detector.Calibration?.IsAnomalous(score);
        var overlay = detector.RenderOverlay(new AnomalyPrediction(score, null, anomalous, map, item.ImagePath), item.MaskPath, new VisualizationOptions { Range = range });
        var decision = anomalous is { } isAnomalous
            ? isAnomalous ? "ANOMALOUS" : "normal"
            : threshold is { } t ? (score >= t ? "ANOMALOUS" : "normal") + $" ({thresholdLabel})" : "no threshold";
        var caption = string.Create(CultureInfo.InvariantCulture, $"{item.DefectType}/{Path.GetFileName(item.ImagePath)}\nscore {score:G4}  {decision}");
        var path = Path.Combine(output, "heatmaps", item.DefectType, Path.GetFileNameWithoutExtension(item.ImagePath) + ".png");
        return (path, Plots.HeatmapPanel(overlay, range.Low, range.High, caption));
    }

    /// <summary>What the plots and heatmaps need of one scored test image: its score, its smoothed map and its mask at the model's resolution.</summary>
    private sealed record TestImage(DatasetItem Item, float Score, AnomalyMap Map, bool[]? Mask);
}

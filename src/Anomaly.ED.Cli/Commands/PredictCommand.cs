using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Anomaly.ED.Cli.Models;
using Anomaly.ED.Cli.Output;
using Anomaly.ED.Cli.Progress;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Anomaly.ED.Cli.Commands;

/// <summary><c>predict</c>: scores images, prints one line per image, and writes CSV/JSON and heatmaps on request.</summary>
internal sealed class PredictCommand(IAnsiConsole console) : CliCommand<PredictSettings>(console)
{
    protected override Task<int> RunAsync(PredictSettings settings, ProgressDisplay display, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var files = InputFiles.Expand(settings.Inputs);
        var watch = Stopwatch.StartNew();
        using var detector = settings.LoadForPrediction(loggerFactory);
        var loaded = watch.Elapsed;
        var threshold = settings.Threshold ?? detector.Calibration?.Threshold;
        var predictions = display.Run(board => Predictions.Score(detector, files, settings.BatchSize, board.Start("prediction", files.Count, "images"), cancellationToken));
        var scored = watch.Elapsed - loaded;
        var rows = predictions.Select(p => new PredictionRow(p.SourcePath!, p.Score, p.NormalizedScore, Decision(p.Score, threshold))).ToArray();
        foreach (var row in rows)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"{row.Score,10:F5}  {row.Decision ?? "-",-9}  {row.Path}"));
        }

        // Wall times, so a user scoring a few images sees what the model's load and the scoring each cost.
        Line(string.Create(CultureInfo.InvariantCulture, $"scored {files.Count} image(s) in {scored.TotalSeconds:F2} s ({scored.TotalSeconds / files.Count:F3} s/image) after loading the model in {loaded.TotalSeconds:F2} s, computing in {settings.Precision.ToLowerInvariant()}"));
        if (threshold is null)
        {
            Line("note: the model has no calibration and no --threshold was given: scores only, no decisions.");
        }

        if (settings.Output is { } output)
        {
            var path = Path.GetFullPath(output);
            OutputFiles.WriteText(path, path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Json(rows, threshold) : Csv(rows));
            Line($"scores: {path}");
        }

        if (settings.Heatmaps is { } folder)
        {
            var directory = Path.GetFullPath(folder);
            display.Run(board => WriteHeatmaps(detector, predictions, directory, board, cancellationToken));
            Line($"heatmaps: {directory}");
        }

        return Task.FromResult(ExitCodes.Success);
    }

    private static string? Decision(float score, double? threshold) => threshold is { } t ? (score >= t ? "anomalous" : "normal") : null;

    private static string Csv(IEnumerable<PredictionRow> rows)
    {
        var csv = new StringBuilder("path,score,normalized_score,decision\n");
        foreach (var r in rows)
        {
            csv.Append(CultureInfo.InvariantCulture, $"\"{r.Path.Replace("\"", "\"\"", StringComparison.Ordinal)}\",{r.Score:R},{r.NormalizedScore:R},{r.Decision}\n");
        }

        return csv.ToString();
    }

    private static string Json(IReadOnlyList<PredictionRow> rows, double? threshold) =>
        JsonSerializer.Serialize(new { threshold, predictions = rows }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });

    private static int WriteHeatmaps(PredictingModel detector, IReadOnlyList<AnomalyPrediction> predictions, string directory, IProgressBoard board, CancellationToken cancellationToken)
    {
        var options = new VisualizationOptions { Range = HeatmapRange.Spanning(predictions.Select(p => p.Map)) };
        var line = board.Start("heatmaps", predictions.Count, "images");
        var progress = new CountProgress(line, predictions.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < predictions.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stem = Path.GetFileNameWithoutExtension(predictions[i].SourcePath!);
            var name = names.Add(stem) ? stem : $"{stem}_{i}";
            PngFile.Write(detector.RenderOverlay(predictions[i], null, options), Path.Combine(directory, name + "_overlay.png"));
            progress.Report(i + 1);
        }

        line.Complete();
        return predictions.Count;
    }

    private sealed record PredictionRow(string Path, float Score, float? NormalizedScore, string? Decision);
}

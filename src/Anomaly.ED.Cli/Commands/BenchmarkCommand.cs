using System.Diagnostics;
using System.Globalization;
using System.Text;
using Anomaly.ED.Cli.Datasets;
using Anomaly.ED.Cli.Output;
using Anomaly.ED.Cli.Progress;
using Anomaly.ED.Evaluation;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Anomaly.ED.Cli.Commands;

/// <summary>
/// <c>benchmark</c>: the reference's dataset loop (<c>main.py</c>): per category, train on the normal training images,
/// evaluate on the test images, save the report and the model; then the per-category and mean table.
/// </summary>
internal sealed class BenchmarkCommand(IAnsiConsole console) : CliCommand<BenchmarkSettings>(console)
{
    protected override async Task<int> RunAsync(BenchmarkSettings settings, ProgressDisplay display, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(settings.Root);
        if (!Directory.Exists(root))
        {
            throw new CliUsageException($"The dataset folder '{root}' does not exist; expected the folder holding the {settings.Dataset} category folders.");
        }

        var output = Path.GetFullPath(settings.Output);
        var weights = await DetectorFactory.ResolveWeightsAsync(settings, display, cancellationToken).ConfigureAwait(false);
        var logger = loggerFactory.CreateLogger("anomaly-ed");
        var results = new List<(string Category, MetricSet? Metrics, TimeSpan Training, string? Error)>();
        foreach (var category in settings.SelectedCategories)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Console.Write(new Rule($"{Markup.Escape(settings.Dataset)} / {Markup.Escape(category)}").LeftJustified());
            try
            {
                var data = DatasetFolder.Locate(Path.Combine(root, category), settings.Layout);
                var training = data.OpenTraining(logger);
                var test = data.OpenTest(logger);
                using var detector = await DetectorFactory.CreateBuilder(settings, weights, training)
                    .WithLoggerFactory(loggerFactory)
                    .BuildAsync(cancellationToken)
                    .ConfigureAwait(false);
                FitCommand.Describe(Console, detector, weights, training, data);
                var watch = Stopwatch.StartNew();
                FitCommand.Train(detector, training, settings, display, cancellationToken);
                var trainingTime = watch.Elapsed;
                var report = display.Run(board =>
                {
                    var line = board.Start("evaluation", test.Count, "images");
                    var report = detector.Evaluate(test, new CountProgress(line, test.Count), cancellationToken);
                    line.Complete();
                    return report;
                });
                Write(ReportTable.Create(report));
                var directory = Path.Combine(output, category);
                Directory.CreateDirectory(directory);
                report.SaveJson(Path.Combine(directory, "report.json"));
                report.SaveCsv(Path.Combine(directory, "report.csv"));
                detector.Save(Path.Combine(directory, "model.edmodel"));
                results.Add((category, report.Overall, trainingTime, null));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Line($"error in {category}: {e.Message.ReplaceLineEndings(" ")}");
                results.Add((category, null, TimeSpan.Zero, e.Message));
            }
        }

        Console.Write(new Rule("summary").LeftJustified());
        Write(Summary(results));
        Directory.CreateDirectory(output);
        var summaryPath = Path.Combine(output, "summary.csv");
        OutputFiles.WriteText(summaryPath, SummaryCsv(results));
        Line($"summary: {summaryPath}");
        return results.All(r => r.Error is null) ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static Table Summary(IReadOnlyList<(string Category, MetricSet? Metrics, TimeSpan Training, string? Error)> results)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("category")
            .AddColumn(new TableColumn("image AUROC").RightAligned()).AddColumn(new TableColumn("pixel AUROC").RightAligned())
            .AddColumn(new TableColumn("AUPRO").RightAligned()).AddColumn(new TableColumn("training").RightAligned()).AddColumn("status");
        foreach (var r in results)
        {
            table.AddRow(
                Markup.Escape(r.Category), ReportTable.Metric(r.Metrics?.ImageAuroc), ReportTable.Metric(r.Metrics?.PixelAuroc), ReportTable.Metric(r.Metrics?.Aupro),
                r.Error is null ? Clock.Format(r.Training) : "-", r.Error is null ? "ok" : "[red]failed[/]");
        }

        var done = results.Where(r => r.Metrics is not null).Select(r => r.Metrics!).ToArray();
        if (done.Length > 0)
        {
            table.AddRow("[bold]mean[/]", Mean(done, m => m.ImageAuroc), Mean(done, m => m.PixelAuroc), Mean(done, m => m.Aupro), string.Empty, $"{done.Length}/{results.Count}");
        }

        return table;
    }

    private static string SummaryCsv(IEnumerable<(string Category, MetricSet? Metrics, TimeSpan Training, string? Error)> results)
    {
        var csv = new StringBuilder("category,image_auroc,pixel_auroc,aupro,training_seconds,error\n");
        foreach (var r in results)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{r.Category},{r.Metrics?.ImageAuroc:R},{r.Metrics?.PixelAuroc:R},{r.Metrics?.Aupro:R},{r.Training.TotalSeconds:F1},\"{(r.Error ?? string.Empty).Replace("\"", "\"\"", StringComparison.Ordinal)}\"\n");
        }

        return csv.ToString();
    }

    private static string Mean(IEnumerable<MetricSet> sets, Func<MetricSet, double?> metric)
    {
        var values = sets.Select(metric).OfType<double>().ToArray();
        return ReportTable.Metric(values.Length == 0 ? null : values.Average());
    }
}

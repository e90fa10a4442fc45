using System.Globalization;
using System.Text;
using Anomaly.ED.Methods;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Methods.Hetmm;
using Anomaly.ED.Pretrained;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Samples.Datasets;

/// <summary>Trains and evaluates ED on every requested category of a benchmark dataset, then prints a summary.</summary>
public sealed class DatasetsRunner
{
    private readonly TextWriter output;
    private readonly TextWriter error;
    private readonly ILoggerFactory loggerFactory;

    /// <summary>Creates a runner printing to <paramref name="output"/> and <paramref name="error"/>, logging to <paramref name="loggerFactory"/>.</summary>
    public DatasetsRunner(TextWriter output, TextWriter error, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        this.output = output;
        this.error = error;
        this.loggerFactory = loggerFactory;
    }

    /// <summary>Parses <paramref name="args"/>, runs, and turns failures into messages and exit code 1.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="output">Receives progress, tables and paths.</param>
    /// <param name="error">Receives error messages (with stack traces under <c>--verbose</c>).</param>
    /// <param name="cancellationToken">Stops the run (Ctrl+C).</param>
    /// <returns>0 when every category succeeded, else 1.</returns>
    public static async Task<int> RunCommandLineAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        DatasetsOptions options;
        try
        {
            options = DatasetsOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        if (options.ShowHelp)
        {
            await output.WriteLineAsync(DatasetsOptions.Usage).ConfigureAwait(false);
            return 0;
        }

        using var loggerFactory = SampleLogging.Create(options.Verbose);
        try
        {
            var results = await new DatasetsRunner(output, error, loggerFactory).RunAsync(options, cancellationToken).ConfigureAwait(false);
            return results.All(r => r.Error is null) ? 0 : 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            return 1;
        }
        catch (Exception ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            await error.WriteLineAsync(options.Verbose ? ex.ToString() : "(run with --verbose for details)").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Runs every category; a failing category is reported and the others still run.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="cancellationToken">Stops a download, training or evaluation.</param>
    /// <returns>One result per category, in order.</returns>
    public async Task<IReadOnlyList<CategoryResult>> RunAsync(DatasetsOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = Path.GetFullPath(options.DataPath);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"The --data-path folder '{root}' does not exist.");
        }

        var outputRoot = options.EffectiveOutput;
        Directory.CreateDirectory(outputRoot);
        var weights = await ResolveWeightsAsync(options, cancellationToken).ConfigureAwait(false);
        PrintConfiguration(options, weights, root, outputRoot);

        var results = new List<CategoryResult>();
        foreach (var category in options.Categories)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Print($"=== {DatasetsOptions.DatasetName(options.Dataset)} / {category} ===");
            try
            {
                results.Add(RunCategory(options, weights, root, Path.Combine(outputRoot, category), category, cancellationToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await error.WriteLineAsync($"error in category '{category}': {ex.Message}").ConfigureAwait(false);
                if (options.Verbose)
                {
                    await error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
                }

                results.Add(new CategoryResult(category, null, TimeSpan.Zero, null, ex.Message));
            }

            Print();
        }

        var summary = Summary(results);
        Print("=== Summary ===");
        Print(summary);
        var summaryPath = Path.Combine(outputRoot, "summary.csv");
        WriteAtomically(summaryPath, SummaryCsv(results));
        Print($"summary: {summaryPath}");
        return results;
    }

    private CategoryResult RunCategory(DatasetsOptions options, BackboneWeights weights, string root, string directory, string category, CancellationToken cancellationToken)
    {
        var datasetLogger = loggerFactory.CreateLogger("Anomaly.ED.Samples.Datasets");
        var training = Open(options.Dataset, root, category, DatasetSplit.Train, datasetLogger);
        var test = Open(options.Dataset, root, category, DatasetSplit.Test, datasetLogger);
        Print($"{training.Count} training images, {test.Count} test images ({test.NormalCount} normal, {test.DefectiveCount} defective)");

        using var detector = CreateBuilder(options, weights, training).WithLoggerFactory(loggerFactory).Build();
        var fit = detector.Fit(training, progress: new ConsoleTrainingProgress(output), cancellationToken: cancellationToken);
        Print($"trained {fit.EpochsCompleted} epochs in {Clock(fit.Duration)}");

        // With heatmaps asked for, the evaluation pass also hands over every image's prediction for them.
        var scored = new List<(DatasetItem Item, AnomalyPrediction Prediction)>();
        var report = options.SaveHeatmaps
            ? detector.Evaluate(test, null, e => scored.Add((e.Item, e.Prediction)), cancellationToken)
            : detector.Evaluate(test, cancellationToken: cancellationToken);
        Print(report.ToTable());
        Directory.CreateDirectory(directory);
        report.SaveJson(Path.Combine(directory, "report.json"));
        report.SaveCsv(Path.Combine(directory, "report.csv"));
        WriteAtomically(Path.Combine(directory, "report.txt"), report.ToTable());
        var modelPath = Path.Combine(directory, "model.edmodel");
        detector.Save(modelPath);
        Print($"report: {Path.Combine(directory, "report.json")} (.csv, .txt)");
        Print($"model: {modelPath}");

        string? heatmaps = null;
        if (options.SaveHeatmaps)
        {
            heatmaps = Path.Combine(directory, "heatmaps");
            var count = WriteHeatmaps(detector, scored, heatmaps, cancellationToken);
            Print($"heatmaps: {count} PNGs in {heatmaps}");
        }

        return new CategoryResult(category, report.Overall, fit.Duration, heatmaps, null);
    }

    private static ImageDataset Open(BenchmarkDataset dataset, string root, string category, DatasetSplit split, ILogger logger) => dataset switch
    {
        BenchmarkDataset.MvtecAd => MvtecAdDataset.Open(root, category, split, logger: logger),
        BenchmarkDataset.Btad => BtadDataset.Open(root, category, split, logger: logger),
        _ => Mvtec3dRgbDataset.Open(root, category, split, logger: logger),
    };

    // The training set's recipe (geometry, HETMM's per-category preset) comes from the library; the sample sets only what was asked for.
    private static EdDetectorBuilder CreateBuilder(DatasetsOptions options, BackboneWeights weights, ImageDataset training)
    {
        var builder = new EdDetectorBuilder().UseDevice(options.Device);
        if (options.ImageSize is { } size)
        {
            builder.WithImageSize(size);
        }

        if (options.Epochs is { } epochs)
        {
            builder.WithEpochs(epochs);
        }

        if (options.BatchSize is { } batchSize)
        {
            builder.WithBatchSize(batchSize);
        }

        if (options.Seed is { } seed)
        {
            builder.WithSeed(seed);
        }

        return builder.UseMethod(options.Method).ForTrainingSet(training).WithBackboneWeights(weights);
    }

    // The library resolves the weights (a file, the cache, or a download with progress); the sample only picks the source.
    private async Task<BackboneWeights> ResolveWeightsAsync(DatasetsOptions options, CancellationToken cancellationToken)
    {
        if (options.WeightsPath is not null)
        {
            return BackboneWeights.FromFile(Backbone(options), options.WeightsPath);
        }

        if (options.Untrained)
        {
            return BackboneWeights.Untrained(Backbone(options));
        }

        var lastTenth = -1;
        var progress = new SynchronousProgress<PretrainedDownloadProgress>(p =>
        {
            if (p.Fraction is { } f && (int)(f * 10) is var tenth && Interlocked.Exchange(ref lastTenth, tenth) != tenth)
            {
                Print(string.Create(CultureInfo.InvariantCulture, $"  downloading {p.Checkpoint.Name}: {f:P0} of {p.TotalBytes / (1024.0 * 1024.0):F0} MiB"));
            }
        });
        return await BackboneWeights.ResolveAsync(options.Pretrained ?? Backbone(options), allowDownload: options.Download, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static string Backbone(DatasetsOptions options) => options.Backbone ?? MethodDescriptor.For(options.Method).DefaultBackbone;

    private void PrintConfiguration(DatasetsOptions options, BackboneWeights weights, string root, string outputRoot)
    {
        Print($"dataset     {DatasetsOptions.DatasetName(options.Dataset)} at {root}; categories: {string.Join(", ", options.Categories)}");
        Print($"backbone    {weights.Architecture} ({weights.Description})");
        Print($"method      {MethodDescriptor.For(options.Method).DisplayName}, device {options.Device}; every unset choice is the method's reference configuration");
        Print($"output      {outputRoot}");
        if (!weights.IsPretrained)
        {
            Print("NOTE: UNTRAINED backbone weights: the results say nothing about ED's accuracy; use them only to check a setup.");
        }

        Print();
    }

    private static int WriteHeatmaps(EdDetector detector, IReadOnlyList<(DatasetItem Item, AnomalyPrediction Prediction)> scored, string directory, CancellationToken cancellationToken)
    {
        var options = new VisualizationOptions { Range = HeatmapRange.Spanning(scored.Select(s => s.Prediction.Map)) };

        // Drawn over each source image in its own geometry: the library undoes the model's resize and centre crop.
        var heatmaps = new DetectorHeatmaps(detector);
        var written = 0;
        foreach (var (item, prediction) in scored)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.Combine(directory, item.DefectType, Path.GetFileNameWithoutExtension(item.ImagePath));
            PngFile.Write(heatmaps.RenderOverlay(prediction, item.MaskPath, options), name + "_overlay.png");
            PngFile.Write(heatmaps.RenderPanel(prediction, item.MaskPath, options), name + "_panel.png");
            written += 2;
        }

        return written;
    }

    private static string Summary(IReadOnlyList<CategoryResult> results)
    {
        string[] header = ["category", "image AUROC", "pixel AUROC", "AUPRO", "training", "status"];
        var rows = results.Select(r => new[]
        {
            r.Category, Metric(r.Metrics?.ImageAuroc), Metric(r.Metrics?.PixelAuroc), Metric(r.Metrics?.Aupro),
            r.Error is null ? Clock(r.TrainingTime) : "-", r.Error is null ? "ok" : "failed",
        }).ToList();
        var succeeded = results.Where(r => r.Metrics is not null).Select(r => r.Metrics!).ToArray();
        if (succeeded.Length > 1)
        {
            rows.Add(["mean", Mean(succeeded, m => m.ImageAuroc), Mean(succeeded, m => m.PixelAuroc), Mean(succeeded, m => m.Aupro), string.Empty, $"{succeeded.Length}/{results.Count}"]);
        }

        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        text.Append(string.Join("  ", header.Select((h, c) => h.PadRight(widths[c]))).TrimEnd()).Append('\n');
        text.AppendJoin("  ", widths.Select(w => new string('-', w))).Append('\n');
        foreach (var row in rows)
        {
            text.Append(string.Join("  ", row.Select((v, c) => v.PadRight(widths[c]))).TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    private static string SummaryCsv(IReadOnlyList<CategoryResult> results)
    {
        var csv = new StringBuilder("category,image_auroc,pixel_auroc,aupro,training_seconds,error\n");
        foreach (var r in results)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{r.Category},{Csv(r.Metrics?.ImageAuroc)},{Csv(r.Metrics?.PixelAuroc)},{Csv(r.Metrics?.Aupro)},{r.TrainingTime.TotalSeconds:F1},\"{(r.Error ?? string.Empty).Replace("\"", "\"\"", StringComparison.Ordinal)}\"\n");
        }

        return csv.ToString();
    }

    private static void WriteAtomically(string path, string text)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    private static string Mean(IEnumerable<MetricSet> sets, Func<MetricSet, double?> metric)
    {
        var values = sets.Select(metric).Where(v => v is not null).Select(v => v!.Value).ToArray();
        return values.Length == 0 ? "-" : Metric(values.Average());
    }

    private static string Metric(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static string Csv(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    private static string Clock(TimeSpan time) => time.ToString(time.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);

    private void Print(string line = "") => output.WriteLine(line);

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

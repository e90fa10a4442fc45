using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Methods;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Pretrained;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Samples.QuickStart;

/// <summary>
/// The quick start: generate a dataset, choose backbone weights, train, evaluate, draw heatmaps, save the model.
/// <c>Program</c> calls <see cref="RunCommandLineAsync"/>; tests call it in-process.
/// </summary>
public sealed class QuickStartRunner
{
    /// <summary>ML.NET's ImageNet ResNet18, shipped in a NuGet package the sample references (no download).</summary>
    private const string PackagedCheckpoint = "resnet18.mlnet_in1k";

    private readonly TextWriter output;
    private readonly ILoggerFactory loggerFactory;

    /// <summary>Creates a runner printing to <paramref name="output"/> and logging to <paramref name="loggerFactory"/>.</summary>
    public QuickStartRunner(TextWriter output, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        this.output = output;
        this.loggerFactory = loggerFactory;
    }

    /// <summary>Parses <paramref name="args"/>, runs, and turns failures into a message and exit code 1.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="output">Receives the progress, metrics and paths.</param>
    /// <param name="error">Receives error messages (with the stack trace under <c>--verbose</c>).</param>
    /// <param name="cancellationToken">Stops the run (Ctrl+C).</param>
    /// <returns>The exit code: 0 on success, 1 on any error.</returns>
    public static async Task<int> RunCommandLineAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        QuickStartOptions options;
        try
        {
            options = QuickStartOptions.Parse(args);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        if (options.ShowHelp)
        {
            await output.WriteLineAsync(QuickStartOptions.Usage).ConfigureAwait(false);
            return 0;
        }

        using var loggerFactory = SampleLogging.Create(options.Verbose);
        try
        {
            await new QuickStartRunner(output, loggerFactory).RunAsync(options, cancellationToken).ConfigureAwait(false);
            return 0;
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

    /// <summary>Runs every step and prints what it does.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="cancellationToken">Stops a download, the training or the evaluation.</param>
    /// <returns>The paths written and the evaluation.</returns>
    public async Task<QuickStartResult> RunAsync(QuickStartOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var total = Stopwatch.StartNew();
        var root = options.EffectiveOutput;
        Directory.CreateDirectory(root);

        Print("1. Backbone weights");
        var weights = await ResolveWeightsAsync(options, cancellationToken).ConfigureAwait(false);
        Print();

        var datasetDirectory = OwnedFolder.Recreate(Path.Combine(root, "dataset"));
        var size = options.EffectiveImageSize;
        Print($"2. Generating a synthetic dataset ({size}x{size} woven texture; defects: {string.Join(", ", SyntheticDefectDataset.DefectTypes)}) in {datasetDirectory}");
        SyntheticDefectDataset.Generate(datasetDirectory, size, options.EffectiveTrainImages, options.TestNormalImages, options.TestDefectsPerType, options.Seed);
        var training = SyntheticDefectDataset.OpenTraining(datasetDirectory);
        var test = SyntheticDefectDataset.OpenTest(datasetDirectory);
        Print($"   {training.Count} defect-free training images; {test.Count} test images ({test.NormalCount} normal, {test.DefectiveCount} defective, with masks)");
        Print();

        using var detector = await CreateBuilder(options, weights).WithLoggerFactory(loggerFactory).BuildAsync(cancellationToken).ConfigureAwait(false);
        PrintConfiguration(options, weights, detector);

        var method = MethodDescriptor.For(detector.Method);
        var trains = method.TrainsForEpochs;
        Print(trains
            ? "4. Training (CPU by default; the first epoch also runs the backbone, later ones reuse its cached features)"
            : $"4. Storing the normal images' features ({method.DisplayName}: no training)");
        var fit = detector.Fit(training, progress: new ConsoleTrainingProgress(output), cancellationToken: cancellationToken);
        Print(trains ? $"   trained {fit.EpochsCompleted} epochs in {fit.Duration.TotalSeconds:F1} s" : $"   stored the features of {training.Count} images in {fit.Duration.TotalSeconds:F1} s");
        Print();

        Print("5. Evaluating on the test images");
        // The same pass hands over every image's prediction, kept for the heatmaps of step 6.
        var scored = new List<(DatasetItem Item, AnomalyPrediction Prediction)>();
        var report = detector.Evaluate(test, null, e => scored.Add((e.Item, e.Prediction)), cancellationToken);
        Print(report.ToTable());
        var reportJson = Path.Combine(root, "report.json");
        report.SaveJson(reportJson);
        report.SaveCsv(Path.Combine(root, "report.csv"));
        var overall = report.Overall;
        Print($"   image AUROC {Metric(overall.ImageAuroc)}, pixel AUROC {Metric(overall.PixelAuroc)}, AUPRO {Metric(overall.Aupro)}");
        Print($"   report: {reportJson} (and report.csv)");
        if (options.Smoke)
        {
            Print("   (--smoke: two epochs on a few tiny images; these numbers only show that the pipeline runs)");
        }
        else if (!weights.IsPretrained)
        {
            Print("   (untrained backbone: fine on this synthetic texture, far below the published numbers on real data)");
        }

        Print();

        var heatmapDirectory = OwnedFolder.Recreate(Path.Combine(root, "heatmaps"));
        Print("6. Writing heatmaps");
        var written = WriteHeatmaps(detector, scored, heatmapDirectory, cancellationToken);
        Print($"   {written} PNGs (overlay: heatmap over the image, true defect outlined in magenta; panel: image | overlay | true mask)");
        Print($"   heatmaps: {heatmapDirectory}");
        Print();

        var modelPath = Path.Combine(root, "quickstart.edmodel");
        detector.Save(modelPath);
        Print("7. Saved the model");
        Print($"   model: {modelPath} ({new FileInfo(modelPath).Length / (1024.0 * 1024.0):F1} MiB{(weights.IsPretrained ? "; the backbone weights stay in their file" : "; backbone weights included")})");
        Print("   load it with EdDetector.Load(path) and score images with detector.Predict(\"image.png\")");
        Print();
        Print($"Done in {total.Elapsed.TotalSeconds:F0} s.");
        return new QuickStartResult(datasetDirectory, heatmapDirectory, modelPath, reportJson, report, weights.IsPretrained);
    }

    private static EdDetectorBuilder CreateBuilder(QuickStartOptions options, BackboneWeights weights)
    {
        // A CPU-sized network: two small one-layer transformers instead of the reference's 3-layer d_model 256/512,
        // and a higher learning rate so that a few tens of epochs suffice.
        var builder = new EdDetectorBuilder()
            .WithImageSize(options.EffectiveImageSize)
            .WithLevels(["layer2", "layer3"], [64, 64])
            .WithNetwork(heads: 4, layers: 1)
            .WithEpochs(options.EffectiveEpochs)
            .WithBatchSize(options.BatchSize)
            .WithLearningRate(1e-3)
            .WithSeed(options.Seed)
            .UseDevice(options.Device);
        // The small ED/FOD settings above are dropped by a method with other settings, which runs its reference ones.
        return builder.UseMethod(options.Method).WithBackboneWeights(weights);
    }

    // The library resolves every source (a file, ML.NET's packaged ResNet18, the cache, a download); the sample only
    // chooses which to ask for and explains the fallback to untrained weights.
    private async Task<BackboneWeights> ResolveWeightsAsync(QuickStartOptions options, CancellationToken cancellationToken)
    {
        var backbone = options.PretrainedBackbone;
        if (options.WeightsPath is not null)
        {
            var file = BackboneWeights.FromFile(backbone, options.WeightsPath);
            Print($"   {backbone} with the weights in {file.FilePath}");
            return file;
        }

        if (options.Untrained)
        {
            Print($"   {options.UntrainedBackbone} with UNTRAINED backbone weights (random, seeded), as asked with --untrained.");
            return BackboneWeights.Untrained(options.UntrainedBackbone);
        }

        // The default: ML.NET's ImageNet ResNet18, which the sample's package reference puts beside the program.
        if (!options.Download && (options.Backbone is null || options.Backbone == QuickStartOptions.UntrainedDefaultBackbone))
        {
            try
            {
                var packaged = await BackboneWeights.ResolveAsync(PackagedCheckpoint, cancellationToken: cancellationToken).ConfigureAwait(false);
                Print($"   {packaged.Architecture} with ImageNet weights {PackagedCheckpoint}: ML.NET's ResNet18 from the NuGet package {packaged.Checkpoint!.Repository} {packaged.Checkpoint.Revision}");
                Print($"   ({packaged.FilePath}; its preprocessing is folded into the first layer, and --untrained gives random weights)");
                return packaged;
            }
            catch (FileNotFoundException)
            {
                // Not beside the program (another build): look in the weights cache.
            }
        }

        var download = new DownloadPrinter(output);
        string reason;
        try
        {
            var weights = await BackboneWeights.ResolveAsync(backbone, allowDownload: options.Download, progress: download, cancellationToken: cancellationToken).ConfigureAwait(false);
            Print(download.Downloaded
                ? $"   {backbone} with ImageNet weights {weights.Checkpoint!.Name}, downloaded into the local cache: {weights.FilePath}"
                : $"   {backbone} with ImageNet weights {weights.Checkpoint!.Name} from the local cache: {weights.FilePath}");
            return weights;
        }
        catch (FileNotFoundException ex)
        {
            reason = $"No weights file was given and no pretrained {backbone} weights are in the local cache ({ex.FileName}).";
        }
        catch (ArgumentException) when (!options.Download)
        {
            reason = $"No weights file was given and the catalog has no pretrained weights for {backbone}.";
        }

        var untrained = options.UntrainedBackbone;
        Print($"   NOTE: {untrained} runs with UNTRAINED backbone weights (random, seeded).");
        Print($"   {reason}");
        if (untrained != backbone)
        {
            Print($"   The smaller {untrained} stands in for {backbone}, to keep the run short.");
        }

        Print("   ED compares features of an ImageNet-trained network; random features are far weaker. On this simple");
        Print("   synthetic texture the defects are still found, but on real data (MVTec AD, BTAD) the results are far");
        Print("   below the published ones. To use real weights:");
        Print($"     --download                      fetch {backbone}'s ImageNet weights from the Hugging Face hub into the cache (once)");
        Print($"     --weights <file.safetensors>    use a local {backbone} file with torchvision or timm names");
        return BackboneWeights.Untrained(untrained);
    }

    private void PrintConfiguration(QuickStartOptions options, BackboneWeights weights, EdDetector detector)
    {
        var o = detector.Options;
        Print("3. Configuration");
        var b = o.Backbone;
        var method = MethodDescriptor.For(o.Method);
        Print($"   backbone        {b.Name} ({weights.Description}), levels {string.Join(" + ", b.Levels ?? [])} -> grids {string.Join(", ", detector.Stages.Select(s => $"{s.OutputSize(b.ImageHeight)}x{s.OutputSize(b.ImageWidth)}"))}");
        Print($"   method          {method.DisplayName}");
        foreach (var (name, value) in method.DescribeSettings(o))
        {
            Print($"   {name,-15} {value}");
        }

        Print($"   images          {b.ImageHeight}x{b.ImageWidth}, device {o.Runtime.Device}{(options.Smoke ? " (--smoke size)" : string.Empty)}");
        Print($"   output          {options.EffectiveOutput}");
        Print();
    }

    private static int WriteHeatmaps(EdDetector detector, IReadOnlyList<(DatasetItem Item, AnomalyPrediction Prediction)> scored, string directory, CancellationToken cancellationToken)
    {
        // One colour scale for the whole test set, so that normal images look calm and defective ones hot. The library
        // draws each map over its source image, in the image's own geometry.
        var options = new VisualizationOptions { Range = HeatmapRange.Spanning(scored.Select(s => s.Prediction.Map)) };
        var heatmaps = new DetectorHeatmaps(detector);
        var written = 0;
        foreach (var (item, prediction) in scored)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = $"{item.DefectType}_{Path.GetFileNameWithoutExtension(item.ImagePath)}";
            PngFile.Write(heatmaps.RenderOverlay(prediction, item.MaskPath, options), Path.Combine(directory, name + "_overlay.png"));
            PngFile.Write(heatmaps.RenderPanel(prediction, item.MaskPath, options), Path.Combine(directory, name + "_panel.png"));
            written += 2;
        }

        return written;
    }

    private static string Metric(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";

    private void Print(string line = "") => output.WriteLine(line);

    private sealed class DownloadPrinter(TextWriter output) : IProgress<PretrainedDownloadProgress>
    {
        private int lastTenth = -1;

        /// <summary>Whether a download happened (the library reports progress only while downloading).</summary>
        public bool Downloaded { get; private set; }

        public void Report(PretrainedDownloadProgress value)
        {
            Downloaded = true;
            if (value.Fraction is not { } fraction)
            {
                return;
            }

            var tenth = (int)(fraction * 10);
            if (Interlocked.Exchange(ref lastTenth, tenth) != tenth)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {fraction:P0} of {value.TotalBytes / (1024.0 * 1024.0):F0} MiB"));
            }
        }
    }
}

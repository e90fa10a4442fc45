using System.Globalization;
using Anomaly.ED.Cli.Datasets;
using Anomaly.ED.Cli.Progress;
using Anomaly.ED.Weights;

namespace Anomaly.ED.Cli.Commands;

/// <summary>Turns the training options into resolved backbone weights and a configured builder.</summary>
internal static class DetectorFactory
{
    /// <summary>Resolves the backbone weights: untrained, a file, or a catalog checkpoint from the cache (downloaded with progress on request).</summary>
    public static Task<BackboneWeights> ResolveWeightsAsync(TrainingSettings settings, ProgressDisplay display, CancellationToken cancellationToken)
    {
        var backbone = settings.Backbone ?? (settings.ParsedMethod == DetectorMethod.Hetmm ? EdDefaults.HetmmBackbone : EdDefaults.Backbone);
        if (settings.Untrained)
        {
            return Task.FromResult(BackboneWeights.Untrained(backbone));
        }

        var name = settings.Weights ?? backbone;
        var cache = new PretrainedWeightsCache(new PretrainedWeightsOptions { CacheDirectory = settings.Cache });
        return display.RunAsync(board => BackboneWeights.ResolveAsync(
            name,
            File.Exists(name) ? backbone : settings.Backbone,
            settings.Download,
            cache,
            new DownloadProgressReporter(board),
            cancellationToken));
    }

    /// <summary>A builder with the method, the weights and every option given on the command line.</summary>
    public static EdDetectorBuilder CreateBuilder(TrainingSettings settings, BackboneWeights weights, DatasetFolder data)
    {
        var method = settings.ParsedMethod;
        var start = method == DetectorMethod.Hetmm
            ? new EdDetectorBuilder().UseHetmm(settings.Preset ?? CategoryPreset(data), settings.TemplateSheets)
            : new EdDetectorBuilder().Configure(o => o.Method = method);

        // ED and FOD keep the aspect ratio of BTAD and MVTec 3D-AD as their reference does; HETMM's reference resizes every dataset to a square.
        var builder = weights.ApplyTo(start)
            .KeepAspectRatio(method != DetectorMethod.Hetmm && data.KeepsAspectRatio)
            .UseDevice(settings.Device);
        if (settings.ImageSize is { } size)
        {
            builder.WithImageSize(size.Height, size.Width);
        }

        if (settings.Levels is not null && settings.Dims is not null)
        {
            builder.WithLevels(List(settings.Levels), [.. List(settings.Dims).Select(Dimension)]);
        }
        else if (settings.Levels is not null)
        {
            builder.Configure(o => o.Backbone.Levels = [.. List(settings.Levels)]);
        }

        if (settings.Heads is not null || settings.Layers is not null)
        {
            builder.WithNetwork(settings.Heads ?? EdDefaults.Heads, settings.Layers ?? EdDefaults.Layers);
        }

        if (settings.Epochs is { } epochs)
        {
            builder.WithEpochs(epochs);
        }

        if (settings.BatchSize is { } batchSize)
        {
            builder.WithBatchSize(batchSize);
        }

        if (settings.LearningRate is { } learningRate)
        {
            builder.WithLearningRate(learningRate);
        }

        if (settings.Seed is { } seed)
        {
            builder.WithSeed(seed);
        }

        return builder;
    }

    // An MVTec AD category folder named like one of HETMM's per-category presets (bottle, cable, ...) gets that preset, as in the reference's dataset loop.
    private static string CategoryPreset(DatasetFolder data) =>
        data.Layout == DatasetLayout.Mvtec && Path.GetFileName(data.Path) is var category && HetmmPresets.Names.Contains(category) ? category : HetmmPresets.Default;

    private static string[] List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Dimension(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
        ? value
        : throw new CliUsageException($"--dims takes positive whole numbers separated by commas, got '{text}'.");
}

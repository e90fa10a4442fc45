using System.Globalization;
using Anomaly.ED.Data;
using Anomaly.ED.Methods;
using Anomaly.ED.Cli.Progress;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Methods.Hetmm;
using Anomaly.ED.Pretrained;

namespace Anomaly.ED.Cli.Commands;

/// <summary>Turns the training options into resolved backbone weights and a configured builder.</summary>
internal static class DetectorFactory
{
    /// <summary>Resolves the backbone weights: untrained, a file, or a catalog checkpoint from the cache (downloaded with progress on request).</summary>
    public static Task<BackboneWeights> ResolveWeightsAsync(TrainingSettings settings, ProgressDisplay display, CancellationToken cancellationToken)
    {
        var backbone = settings.Backbone ?? MethodDescriptor.For(settings.ParsedMethod).DefaultBackbone;
        if (settings.Untrained)
        {
            return Task.FromResult(BackboneWeights.Untrained(backbone));
        }

        var name = settings.Weights ?? backbone;
        var cache = new PretrainedWeightsCache(settings.Cache);
        return display.RunAsync(board => BackboneWeights.ResolveAsync(
            name,
            File.Exists(name) ? backbone : settings.Backbone,
            settings.Download,
            cache,
            new DownloadProgressReporter(board),
            cancellationToken));
    }

    /// <summary>A builder with the method, the weights, the training set's recipe and every option given on the command line.</summary>
    public static EdDetectorBuilder CreateBuilder(TrainingSettings settings, BackboneWeights weights, ImageDataset trainingSet)
    {
        var builder = new EdDetectorBuilder().UseMethod(settings.ParsedMethod).WithBackboneWeights(weights)
            .ForTrainingSet(trainingSet)
            .UseDevice(settings.Device)
            .UsePrecision(settings.Precision);
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
            builder.WithLevels(List(settings.Levels));
        }

        // Method settings go into the method's own group; the library refuses them for another method, naming the group.
        if (settings.Heads is not null || settings.Layers is not null || settings.Epochs is not null || settings.BatchSize is not null || settings.LearningRate is not null)
        {
            builder.Configure(o =>
            {
                var ed = o.Ed ??= new EdOptions();
                ed.Network.Heads = settings.Heads ?? ed.Network.Heads;
                ed.Network.Layers = settings.Layers ?? ed.Network.Layers;
                ed.Training.Epochs = settings.Epochs ?? ed.Training.Epochs;
                ed.Training.BatchSize = settings.BatchSize ?? ed.Training.BatchSize;
                ed.Training.LearningRate = settings.LearningRate ?? ed.Training.LearningRate;
            });
        }

        if (settings.Preset is not null || settings.TemplateSheets is not null)
        {
            builder.Configure(o =>
            {
                var hetmm = o.Hetmm ??= new HetmmOptions();
                hetmm.Preset = settings.Preset ?? hetmm.Preset;
                hetmm.TemplateSheets = settings.TemplateSheets ?? hetmm.TemplateSheets;
            });
        }

        if (settings.Seed is { } seed)
        {
            builder.WithSeed(seed);
        }

        return builder;
    }

    private static string[] List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Dimension(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
        ? value
        : throw new CliUsageException($"--dims takes positive whole numbers separated by commas, got '{text}'.");
}

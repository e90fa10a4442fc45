using Anomaly.ED.AspNetCore.Models;
using Anomaly.ED.Data;
using Anomaly.ED.Methods;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.AspNetCore.EdModels;

/// <summary>An <c>.edmodel</c> file loaded as an <see cref="EdDetector"/> (warmed up by the load).</summary>
internal sealed class EdServedModel : IServedModel
{
    public const string KindName = "edmodel";

    private readonly EdDetector detector;
    private readonly DetectorHeatmaps heatmaps;
    private readonly HeatmapRange range;

    private EdServedModel(EdDetector detector, ModelDetails details)
    {
        this.detector = detector;
        heatmaps = new DetectorHeatmaps(detector);
        range = RenderedHeatmap.RangeFor(detector.Calibration);
        Details = details;
    }

    public string Kind => KindName;

    public ModelDetails Details { get; }

    public static EdServedModel Load(string path, RuntimeOptions runtime, ILoggerFactory loggerFactory)
    {
        var info = ModelFileInfo.Read(path);
        Log.ModelFileRead(loggerFactory.CreateLogger<EdServedModel>(), info.FilePath, info.FormatVersion, info.LibraryVersion ?? "(unknown)", info.ContentSha256, runtime.Device, runtime.Precision);
        var detector = EdDetector.Load(path, new LoadOptions { Runtime = runtime, LoggerFactory = loggerFactory, WarmUp = true });
        var options = info.Options;
        var details = new ModelDetails(
            Path.GetFileName(info.FilePath),
            info.FileSizeBytes,
            info.FormatVersion,
            info.LibraryVersion,
            info.ContentSha256,
            MethodDescriptor.For(info.Method).DisplayName,
            info.BackboneArchitecture,
            info.BackbonePretrained,
            info.Levels,
            options.Backbone.ImageHeight,
            options.Backbone.ImageWidth,
            info.Calibration?.Threshold,
            info.Calibration?.Normalization is not null,
            info.TrainingData?.Images,
            MethodDescriptor.For(info.Method).DescribeSettings(options).ToDictionary(r => r.Key, r => r.Value));
        return new EdServedModel(detector, details);
    }

    public IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<ImageBuffer> images) =>
        detector.Predict(images, new PredictOptions { BatchSize = images.Count });

    public RenderedHeatmap RenderHeatmap(ImageBuffer image, AnomalyPrediction prediction) =>
        RenderedHeatmap.Render(prediction, range, options => heatmaps.RenderOverlay(image, prediction, options));

    public void Dispose() => detector.Dispose();
}

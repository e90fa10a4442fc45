using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Anomaly.ED.Data;
using Anomaly.ED.Methods;
using Anomaly.ED.OnnxRuntime;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.AspNetCore.Models;

/// <summary>An exported <c>.onnx</c> graph (<c>EdDetector.ExportOnnx</c>, <c>anomaly-ed export</c>) run by ONNX Runtime through <see cref="OnnxDetector"/>.</summary>
internal sealed class OnnxServedModel : IServedModel
{
    private static readonly JsonSerializerOptions MetadataJson = new() { Converters = { new JsonStringEnumConverter() } };

    private readonly OnnxDetector detector;
    private readonly HeatmapRange range;

    private OnnxServedModel(OnnxDetector detector, ModelDetails details)
    {
        this.detector = detector;
        range = RenderedHeatmap.RangeFor(detector.Calibration);
        Details = details;
    }

    public string Kind => "onnx";

    public ModelDetails Details { get; }

    public static OnnxServedModel Load(string path, RuntimeOptions runtime, ILoggerFactory loggerFactory)
    {
        var detector = OnnxDetector.Load(path, new OnnxDetectorOptions { Device = runtime.Device, IntraOpThreads = runtime.IntraOpThreads, LoggerFactory = loggerFactory });
        try
        {
            var metadata = detector.Metadata;
            // The graph records the options of the model it was exported from, so info reads as it does for that file.
            var options = JsonSerializer.Deserialize<DetectorOptions>(metadata["options"], MetadataJson)
                ?? throw new InvalidDataException($"'{path}' has empty options metadata.");
            var method = MethodDescriptor.For(detector.Method);
            var details = new ModelDetails(
                Path.GetFileName(path),
                new FileInfo(path).Length,
                int.Parse(metadata.GetValueOrDefault("format_version", "0"), CultureInfo.InvariantCulture),
                metadata.GetValueOrDefault("library_version"),
                metadata.GetValueOrDefault("source_model_sha256", string.Empty),
                method.DisplayName,
                metadata.GetValueOrDefault("backbone", options.Backbone.Name ?? string.Empty),
                !options.Backbone.AllowUntrained,
                [.. (IEnumerable<string>?)options.Backbone.Levels ?? method.DefaultLevels],
                options.Backbone.ImageHeight,
                options.Backbone.ImageWidth,
                detector.Calibration?.Threshold,
                detector.Calibration?.Normalization is not null,
                null,
                method.DescribeSettings(options).ToDictionary(r => r.Key, r => r.Value));
            return new OnnxServedModel(detector, details);
        }
        catch
        {
            detector.Dispose();
            throw;
        }
    }

    public IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<ImageBuffer> images) =>
        detector.Predict(images, new PredictOptions { BatchSize = images.Count });

    public RenderedHeatmap RenderHeatmap(ImageBuffer image, AnomalyPrediction prediction) =>
        RenderedHeatmap.Render(prediction, range, options => HeatmapOverlay.Render(image, detector.ToImageGeometry(prediction.Map, image.Height, image.Width), null, options));

    public void Dispose() => detector.Dispose();
}

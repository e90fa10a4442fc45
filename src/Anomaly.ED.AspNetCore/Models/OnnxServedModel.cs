using Anomaly.ED.Data;
using Anomaly.ED.OnnxRuntime;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.AspNetCore.Models;

/// <summary>An exported <c>.onnx</c> graph (<c>EdDetector.ExportOnnx</c>, <c>anomaly-ed export</c>) run by ONNX Runtime through <see cref="OnnxDetector"/>.</summary>
internal sealed class OnnxServedModel : IServedModel
{
    public const string KindName = "onnx";

    private readonly OnnxDetector detector;
    private readonly HeatmapRange range;

    private OnnxServedModel(OnnxDetector detector, ModelDetails details)
    {
        this.detector = detector;
        range = RenderedHeatmap.RangeFor(detector.Calibration);
        Details = details;
    }

    public string Kind => KindName;

    public ModelDetails Details { get; }

    public static OnnxServedModel Load(string path, RuntimeOptions runtime, ILoggerFactory loggerFactory)
    {
        // 0 means "keep the process's setting" to TorchSharp; ONNX Runtime has no process-wide setting, so its default applies.
        var threads = runtime.IntraOpThreads is 0 ? null : runtime.IntraOpThreads;
        var detector = OnnxDetector.Load(path, new OnnxDetectorOptions { Device = runtime.Device, IntraOpThreads = threads, LoggerFactory = loggerFactory });
        try
        {
            return new OnnxServedModel(detector, ExportedGraphDetails.Read(path, detector));
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

using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.AspNetCore.Models;

/// <summary>
/// A loaded model that scores batches of decoded images: the one thing the service needs from a kind of model file
/// (<see cref="OnnxServedModel"/> for an exported <c>.onnx</c>; the EdModels package's for an <c>.edmodel</c>), as its
/// <see cref="IServedModelLoader"/> loads it.
/// </summary>
internal interface IServedModel : IDisposable
{
    /// <summary>The kind of model file, as the API reports it (<c>onnx</c>, <c>edmodel</c>).</summary>
    string Kind { get; }

    /// <summary>What <c>anomaly-ed info</c> shows about the model, for <c>GET /v1/models/{name}</c>.</summary>
    ModelDetails Details { get; }

    /// <summary>Scores one batch of RGB images; one prediction per image, in order. Thread-safe.</summary>
    IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<ImageBuffer> images);

    /// <summary>The heatmap overlay of one prediction on its image, as PNG, with the score range of its colour scale.</summary>
    RenderedHeatmap RenderHeatmap(ImageBuffer image, AnomalyPrediction prediction);
}

/// <summary>A heatmap overlay encoded as PNG, and the values at the ends of its colour bar.</summary>
internal sealed record RenderedHeatmap(byte[] Png, double Low, double High, string Colormap)
{
    /// <summary>The colour scale of a model's overlays: a calibrated model colours every image on one scale (threshold in
    /// the middle); otherwise each map spans its own.</summary>
    public static HeatmapRange RangeFor(Calibration? calibration) =>
        calibration?.Normalization is { } normalization ? HeatmapRange.FromNormalization(normalization) : HeatmapRange.PerMap;

    /// <summary>Renders <paramref name="prediction"/>'s overlay with <paramref name="render"/> on <paramref name="range"/> and encodes it.</summary>
    public static RenderedHeatmap Render(AnomalyPrediction prediction, HeatmapRange range, Func<VisualizationOptions, ImageBuffer> render)
    {
        var options = new VisualizationOptions { Range = range };
        var (low, high) = range.Resolve(prediction.Map);
        return new RenderedHeatmap(PngFile.Encode(render(options)), low, high, options.Colormap.ToString().ToLowerInvariant());
    }
}

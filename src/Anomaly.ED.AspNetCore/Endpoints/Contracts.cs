using Anomaly.ED.AspNetCore.Models;

namespace Anomaly.ED.AspNetCore.Endpoints;

/// <summary>The answer of <c>POST /v1/models/{name}/predict</c>: one result per image, in request order.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Images">The results.</param>
/// <param name="TotalMilliseconds">The request's time in the service, from reading the body to the answer.</param>
internal sealed record PredictResponse(string Model, IReadOnlyList<ImageResult> Images, double TotalMilliseconds);

/// <summary>The prediction of one image.</summary>
/// <param name="File">The multipart file name, or null for a single image body.</param>
/// <param name="Width">The image's width.</param>
/// <param name="Height">The image's height.</param>
/// <param name="Score">The raw image score (the maximum of the smoothed anomaly map).</param>
/// <param name="NormalizedScore">The score mapped to [0, 1] with the threshold at 0.5, when the model's calibration normalises.</param>
/// <param name="IsAnomalous">Whether the score reaches the threshold, when the model is calibrated.</param>
/// <param name="Threshold">The calibrated threshold on raw scores, or null.</param>
/// <param name="Timing">Where the time went.</param>
/// <param name="Heatmap">The heatmap overlay, when asked for with <c>?heatmap=true</c>.</param>
internal sealed record ImageResult(
    string? File,
    int Width,
    int Height,
    float Score,
    float? NormalizedScore,
    bool? IsAnomalous,
    double? Threshold,
    ImageTiming Timing,
    HeatmapResult? Heatmap);

/// <summary>Where one image's time went, in milliseconds.</summary>
/// <param name="DecodeMilliseconds">Decoding the image.</param>
/// <param name="QueueMilliseconds">Waiting for its batch to start.</param>
/// <param name="InferenceMilliseconds">Scoring its batch.</param>
/// <param name="BatchSize">How many images its batch held.</param>
internal sealed record ImageTiming(double DecodeMilliseconds, double QueueMilliseconds, double InferenceMilliseconds, int BatchSize);

/// <summary>The heatmap over the image, as PNG, and the raw scores at the ends of its colour bar.</summary>
/// <param name="Png">The overlay PNG (base64 in JSON), of the image's size.</param>
/// <param name="Low">The score at the colour bar's low end.</param>
/// <param name="High">The score at the colour bar's high end.</param>
/// <param name="Colormap">The colour scale (<c>jet</c>); its bar is at <c>colorbar.png</c>.</param>
internal sealed record HeatmapResult(byte[] Png, double Low, double High, string Colormap)
{
    public static HeatmapResult From(RenderedHeatmap heatmap) => new(heatmap.Png, heatmap.Low, heatmap.High, heatmap.Colormap);
}

/// <summary>A hosted model in <c>GET /v1/models</c>.</summary>
/// <param name="Name">The name requests use.</param>
/// <param name="Kind">The kind of model file.</param>
/// <param name="State">loading, ready or failed.</param>
/// <param name="Threshold">The calibrated threshold, once loaded.</param>
internal sealed record ModelSummary(string Name, string Kind, string State, double? Threshold);

/// <summary>A hosted model in <c>GET /v1/models/{name}</c>.</summary>
/// <param name="Name">The name requests use.</param>
/// <param name="Kind">The kind of model file.</param>
/// <param name="State">ready.</param>
/// <param name="Details">What <c>anomaly-ed info</c> shows.</param>
internal sealed record ModelResponse(string Name, string Kind, string State, ModelDetails Details);

using System.Diagnostics;
using Anomaly.ED.AspNetCore.Batching;
using Anomaly.ED.AspNetCore.Models;
using Anomaly.ED.AspNetCore.Telemetry;
using Anomaly.ED.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.AspNetCore.Endpoints;

/// <summary>The <c>/v1</c> handlers: each maps a request to the catalog or to one batched prediction.</summary>
internal static class PredictionEndpoints
{
    private const string UnknownModelTag = "_unknown";

    public static IResult ListModels(ModelCatalog catalog) => Results.Ok(catalog.Names.Select(n => Summary(catalog, n)).ToArray());

    public static IResult GetModel(string name, ModelCatalog catalog, HttpContext context, IOptions<AnomalyDetectionServiceOptions> serviceOptions) => catalog.StateOf(name) switch
    {
        ModelState.Ready when catalog.TryGet(name, out var batcher) => Results.Ok(new ModelResponse(name, batcher.Model.Kind, "ready", batcher.Model.Details)),
        ModelState.Unknown => UnknownModel(name, catalog),
        var state => NotReady(context, name, state, catalog, serviceOptions.Value.RetryAfterSeconds),
    };

    public static async Task<IResult> PredictAsync(
        string name,
        bool? heatmap,
        HttpContext context,
        ModelCatalog catalog,
        ServiceMetrics metrics,
        IOptions<AnomalyDetectionServiceOptions> serviceOptions,
        ILoggerFactory loggerFactory)
    {
        var started = Stopwatch.GetTimestamp();
        var options = serviceOptions.Value;
        var logger = loggerFactory.CreateLogger(typeof(PredictionEndpoints).FullName!);
        var state = catalog.StateOf(name);
        var result = state switch
        {
            ModelState.Ready when catalog.TryGet(name, out var batcher) => await PredictAsync(name, batcher, heatmap == true, context, options, metrics, logger, started).ConfigureAwait(false),
            ModelState.Unknown => UnknownModel(name, catalog),
            _ => NotReady(context, name, state, catalog, options.RetryAfterSeconds),
        };
        metrics.RequestAnswered(state == ModelState.Unknown ? UnknownModelTag : name, StatusOf(result), Stopwatch.GetElapsedTime(started));
        return result;
    }

    private static async Task<IResult> PredictAsync(
        string name,
        ModelBatcher batcher,
        bool heatmap,
        HttpContext context,
        AnomalyDetectionServiceOptions options,
        ServiceMetrics metrics,
        ILogger logger,
        long started)
    {
        // Cancelled when the client disconnects, and when this request gives up (a full queue): queued images are then dropped.
        using var request = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var cancellationToken = request.Token;
        IReadOnlyList<UploadedImage> uploads;
        var decoded = new List<(ImageBuffer Image, double DecodeMilliseconds)>();
        try
        {
            uploads = await ImageUpload.ReadAsync(context.Request, options.MaxRequestMegabytes * 1024L * 1024L, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < uploads.Count; i++)
            {
                var decodeStarted = Stopwatch.GetTimestamp();
                decoded.Add((UploadDecoder.Decode(uploads[i], i, options.MaxImagePixels), Stopwatch.GetElapsedTime(decodeStarted).TotalMilliseconds));
            }
        }
        catch (UploadException ex)
        {
            Log.RequestRefused(logger, name, ex.Status, ex.Message);
            return Results.Problem(ex.Message, statusCode: ex.Status, title: ex.Title);
        }

        var pending = new PendingImage[decoded.Count];
        for (var i = 0; i < decoded.Count; i++)
        {
            pending[i] = new PendingImage(decoded[i].Image, cancellationToken);
            if (!batcher.TryEnqueue(pending[i]))
            {
                await request.CancelAsync().ConfigureAwait(false);
                Log.QueueFull(logger, name, options.QueueCapacity);
                context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Problem(
                    $"The queue of model '{name}' is full ({options.QueueCapacity} images wait); retry after {options.RetryAfterSeconds} s.",
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "Queue full");
            }
        }

        BatchedPrediction[] predictions;
        try
        {
            predictions = await Task.WhenAll(pending.Select(p => p.Result)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone; its queued images are dropped by the batcher. 499 is what the metrics record.
            return Results.StatusCode(StatusCodes.Status499ClientClosedRequest);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // The batcher logged the failure with its stack; the client learns that scoring failed, not the internals.
            return Results.Problem($"Model '{name}' failed to score the batch this request was in; see the service log.", statusCode: StatusCodes.Status500InternalServerError, title: "Prediction failed");
        }

        var images = new ImageResult[predictions.Length];
        for (var i = 0; i < predictions.Length; i++)
        {
            var (prediction, image) = (predictions[i].Prediction, decoded[i].Image);
            images[i] = new ImageResult(
                uploads[i].FileName,
                image.Width,
                image.Height,
                prediction.Score,
                prediction.NormalizedScore,
                prediction.IsAnomalous,
                batcher.Model.Details.Threshold,
                new ImageTiming(decoded[i].DecodeMilliseconds, predictions[i].QueueTime.TotalMilliseconds, predictions[i].InferenceTime.TotalMilliseconds, predictions[i].BatchSize),
                heatmap ? HeatmapResult.From(batcher.Model.RenderHeatmap(image, prediction)) : null);
        }

        var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Log.Predicted(logger, name, images.Length, total);
        return Results.Ok(new PredictResponse(name, images, total));
    }

    private static ModelSummary Summary(ModelCatalog catalog, string name) => catalog.StateOf(name) switch
    {
        ModelState.Ready when catalog.TryGet(name, out var batcher) => new ModelSummary(name, batcher.Model.Kind, "ready", batcher.Model.Details.Threshold),
        var state => new ModelSummary(name, catalog.KindOf(name), state.ToString().ToLowerInvariant(), null),
    };

    private static IResult UnknownModel(string name, ModelCatalog catalog) => Results.Problem(
        $"No model is named '{name}'; this service hosts {string.Join(", ", catalog.Names.Select(n => $"'{n}'"))}.",
        statusCode: StatusCodes.Status404NotFound,
        title: "Unknown model");

    private static IResult NotReady(HttpContext context, string name, ModelState state, ModelCatalog catalog, int retryAfterSeconds)
    {
        if (state == ModelState.Failed)
        {
            return Results.Problem($"Model '{name}' failed to load: {catalog.NotReadyReason()}", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Model unavailable");
        }

        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem($"Model '{name}' is still loading.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Model loading");
    }

    private static int StatusOf(IResult result) => result is IStatusCodeHttpResult { StatusCode: { } status } ? status : StatusCodes.Status200OK;
}

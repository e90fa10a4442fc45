using Anomaly.ED.AspNetCore;
using Anomaly.ED.AspNetCore.Endpoints;
using Anomaly.ED.AspNetCore.Models;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Maps the prediction service registered with <c>AddAnomalyDetectionService</c>: the REST API under <c>/v1</c>, the
/// health endpoints <c>/healthz</c> and <c>/readyz</c>, and the web page at the root, all under one route prefix.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddAnomalyDetectionService(o => o.Models.Add(new ServedModelOptions { Path = "models/bottle.onnx" }));
/// var app = builder.Build();
/// app.MapAnomalyDetection("/inspection");   // POST /inspection/v1/models/bottle/predict
/// </code>
/// </example>
public static class AnomalyDetectionEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the service's endpoints under <paramref name="prefix"/>: <c>POST v1/models/{name}/predict</c>, <c>GET v1/models</c>,
    /// <c>GET v1/models/{name}</c>, <c>GET healthz</c>, <c>GET readyz</c>, the web page and its files. Requests under
    /// <c>v1</c> need the <c>X-Api-Key</c> header when <see cref="AnomalyDetectionServiceOptions.ApiKey"/> is set.
    /// </summary>
    /// <param name="endpoints">The application's route builder.</param>
    /// <param name="prefix">The route prefix, such as <c>/inspection</c>; <c>/</c> (the default) maps at the root.</param>
    /// <returns>The group of all the service's endpoints, for conventions such as <c>RequireAuthorization</c>.</returns>
    /// <exception cref="InvalidOperationException"><c>AddAnomalyDetectionService</c> was not called.</exception>
    public static IEndpointConventionBuilder MapAnomalyDetection(this IEndpointRouteBuilder endpoints, string prefix = "/")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        // Asks whether the catalog is registered without creating it, so that invalid options fail when the host starts.
        if (endpoints.ServiceProvider.GetService<IServiceProviderIsService>()?.IsService(typeof(ModelCatalog)) != true)
        {
            throw new InvalidOperationException("MapAnomalyDetection needs the service's registrations: call services.AddAnomalyDetectionService(...) first.");
        }

        var group = endpoints.MapGroup(prefix);
        var api = group.MapGroup("/v1").WithTags("Anomaly detection").AddEndpointFilter(RequireApiKeyAsync);
        api.MapGet("/models", PredictionEndpoints.ListModels)
            .WithName("ListModels")
            .WithSummary("The hosted models, their kind, state and calibrated threshold.")
            .Produces<ModelSummary[]>();
        api.MapGet("/models/{name}", PredictionEndpoints.GetModel)
            .WithName("GetModel")
            .WithSummary("One model as `anomaly-ed info` shows it: file format, method, backbone, input size, calibration, settings.")
            .Produces<ModelResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/models/{name}/predict", PredictionEndpoints.PredictAsync)
            .WithName("Predict")
            .WithSummary("Scores one image (the body, with an image Content-Type) or several (multipart/form-data file parts).")
            .WithDescription("Per image: the score, the normalised score and decision when the model is calibrated, the threshold, the timing, and with heatmap=true the overlay PNG (base64) with the scores at the ends of its colour bar.")
            .WithMetadata(PredictRequestBody.Marker)
            .Produces<PredictResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        // Alive means the process answers; ready means every model is loaded and warmed up.
        group.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        group.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ModelsReadyHealthCheck.Tag) });

        group.MapGet("/", () => WebPage.File("index.html")).ExcludeFromDescription();
        foreach (var name in WebPage.Names)
        {
            group.MapGet("/" + name, () => WebPage.File(name)).ExcludeFromDescription();
        }

        group.MapGet("/colorbar.png", WebPage.ColorBarPng).ExcludeFromDescription();
        return group;
    }

    private static async ValueTask<object?> RequireApiKeyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var key = http.RequestServices.GetRequiredService<IOptions<AnomalyDetectionServiceOptions>>().Value.ApiKey;
        if (key is not null && !ApiKey.Matches(key, http.Request.Headers[ApiKey.Header].ToString()))
        {
            return Results.Problem($"This service needs an API key: send it in the {ApiKey.Header} header.", statusCode: StatusCodes.Status401Unauthorized, title: "API key missing or wrong");
        }

        return await next(context).ConfigureAwait(false);
    }
}

using Anomaly.ED.AspNetCore;
using Anomaly.ED.Cli.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Anomaly.ED.Cli.Serving;

/// <summary>
/// The web application <c>serve</c> runs: the library's prediction service (<c>MapAnomalyDetection</c>) plus what a
/// stand-alone server adds: Kestrel on the given URLs, the OpenAPI document, Prometheus metrics and an exception handler.
/// </summary>
internal static class ServeHost
{
    public const string ApiKeyVariable = "ANOMALY_ED_API_KEY";

    /// <summary>Builds the application; <see cref="WebApplication.StartAsync"/> validates the options and starts loading the models.</summary>
    public static WebApplication Build(ServeSettings settings, Action<ILoggingBuilder> logging)
    {
        PrometheusMetrics.Configure();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Directory.GetCurrentDirectory() });
        builder.WebHost.UseUrls(settings.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestMegabytes * 1024L * 1024L;
        });
        builder.Logging.ClearProviders();
        logging(builder.Logging);
        builder.Services.AddAnomalyDetectionService(options =>
        {
            for (var i = 0; i < settings.Models.Length; i++)
            {
                options.Models.Add(new ServedModelOptions { Path = settings.Models[i], Name = i < settings.Names.Length ? settings.Names[i] : null });
            }

            options.MaxBatchSize = settings.MaxBatch;
            options.MaxBatchWaitMilliseconds = settings.MaxWaitMilliseconds;
            options.QueueCapacity = settings.Queue;
            options.MaxRequestMegabytes = settings.MaxRequestMegabytes;
            options.ApiKey = settings.ApiKey ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
            options.Runtime = new RuntimeOptions { Device = settings.Device, WeightsCacheDirectory = settings.Cache };
        }).AddEdModelFiles();
        builder.Services.AddOpenApi();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapOpenApi();
        app.MapMetrics();
        app.MapAnomalyDetection();
        return app;
    }
}

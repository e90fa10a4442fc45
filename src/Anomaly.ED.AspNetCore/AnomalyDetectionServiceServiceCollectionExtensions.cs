using Anomaly.ED.AspNetCore;
using Anomaly.ED.AspNetCore.Endpoints;
using Anomaly.ED.AspNetCore.Models;
using Anomaly.ED.AspNetCore.Telemetry;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the prediction service that <c>MapAnomalyDetection</c> maps: the hosted models (loaded in the background
/// when the host starts), their batchers, the readiness check, metrics and problem details. It hosts exported graphs
/// (<c>.onnx</c>, on ONNX Runtime); <c>AddEdModelFiles</c> from the package Anomaly.ED.AspNetCore.EdModels adds model
/// files (<c>.edmodel</c>, on TorchSharp). Options are validated when the host starts; repeated calls are harmless and
/// every configuration step applies.
/// </summary>
public static class AnomalyDetectionServiceServiceCollectionExtensions
{
    /// <summary>Registers the service with <see cref="AnomalyDetectionServiceOptions"/> configured elsewhere.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddAnomalyDetectionService(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddService(services);
        return services;
    }

    /// <summary>Registers the service with options set by <paramref name="configure"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the models and limits.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddAnomalyDetectionService(this IServiceCollection services, Action<AnomalyDetectionServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddService(services).Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers the service with options bound to <paramref name="section"/> (property names as keys; <c>Models</c> an
    /// array of <c>{ "Path": ..., "Name": ... }</c>). A key that names no option is an error rather than ignored.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section, for example <c>configuration.GetSection("AnomalyDetectionService")</c>.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddAnomalyDetectionService(this IServiceCollection services, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        AddService(services).Bind(section, binder => binder.ErrorOnUnknownConfiguration = true);
        return services;
    }

    private static OptionsBuilder<AnomalyDetectionServiceOptions> AddService(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnomalyDetectionServiceOptions>, AnomalyDetectionServiceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServedModelLoader, OnnxModelLoader>());
        services.TryAddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddMetrics();
        services.TryAddSingleton<ServiceMetrics>();
        if (!services.Any(d => d.ServiceType == typeof(ModelCatalog)))
        {
            services.AddSingleton<ModelCatalog>();
            services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<ModelCatalog>());
            services.AddHealthChecks().AddCheck<ModelsReadyHealthCheck>("anomaly-ed-models", tags: [ModelsReadyHealthCheck.Tag]);
            services.ConfigureAll<OpenApiOptions>(o => o.AddOperationTransformer<PredictRequestBody>());
        }

        services.AddProblemDetails();
        return services.AddOptionsWithValidateOnStart<AnomalyDetectionServiceOptions>();
    }
}

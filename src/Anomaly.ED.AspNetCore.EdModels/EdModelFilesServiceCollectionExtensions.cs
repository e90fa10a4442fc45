using Anomaly.ED.AspNetCore;
using Anomaly.ED.AspNetCore.EdModels;
using Anomaly.ED.AspNetCore.Models;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds model files (<c>.edmodel</c>, run by <c>EdDetector</c> on TorchSharp) to the prediction service of
/// <c>AddAnomalyDetectionService</c>, beside the exported graphs (<c>.onnx</c>) it hosts on its own.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddAnomalyDetectionService(builder.Configuration.GetSection("Inspection")).AddEdModelFiles();
/// </code>
/// </example>
public static class EdModelFilesServiceCollectionExtensions
{
    /// <summary>
    /// Lets the service load the <c>.edmodel</c> files among its configured models, with every setting of
    /// <see cref="AnomalyDetectionServiceOptions.Runtime"/> (checked at start). Call it before or after
    /// <c>AddAnomalyDetectionService</c>; repeated calls are harmless.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddEdModelFiles(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServedModelLoader, EdModelLoader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnomalyDetectionServiceOptions>, EdModelRuntimeValidator>());
        return services;
    }
}

using Anomaly.ED.Hosting;
using Anomaly.ED;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers one <see cref="EdDetector"/> singleton in a service collection: built from validated <see cref="DetectorOptions"/>
/// (then fitted by the application) or loaded from a saved model file. Options are validated when the host starts and
/// every problem is reported at once; repeated calls are harmless.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddAnomalyDetection(builder.Configuration.GetSection("AnomalyDetection"));
/// // or, for a model trained earlier:
/// builder.Services.AddAnomalyDetectionFromModel("models/bottle.edmodel", o => o.Runtime.Device = "cuda");
/// </code>
/// </example>
public static class AnomalyDetectionServiceCollectionExtensions
{
    /// <summary>Registers an unfitted <see cref="EdDetector"/> built from the <see cref="DetectorOptions"/> configured elsewhere (for example with <c>services.Configure&lt;DetectorOptions&gt;</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same service collection.</returns>
    /// <exception cref="InvalidOperationException">A detector loaded from a model file is already registered.</exception>
    public static IServiceCollection AddAnomalyDetection(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddBuiltDetector(services);
        return services;
    }

    /// <summary>Registers an unfitted <see cref="EdDetector"/> built from <see cref="DetectorOptions"/> changed by <paramref name="configure"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the options; runs once, when the detector's options are first needed.</param>
    /// <returns>The same service collection.</returns>
    /// <exception cref="InvalidOperationException">A detector loaded from a model file is already registered.</exception>
    public static IServiceCollection AddAnomalyDetection(this IServiceCollection services, Action<DetectorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddBuiltDetector(services).Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers an unfitted <see cref="EdDetector"/> built from <see cref="DetectorOptions"/> bound to <paramref name="section"/>:
    /// property names as keys, enums as their names, lists as arrays. A key that names no option is an error, so that a
    /// misspelt setting is not ignored.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section, for example <c>configuration.GetSection("AnomalyDetection")</c>.</param>
    /// <returns>The same service collection.</returns>
    /// <exception cref="InvalidOperationException">A detector loaded from a model file is already registered.</exception>
    public static IServiceCollection AddAnomalyDetection(this IServiceCollection services, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        AddBuiltDetector(services).Bind(section, binder => binder.ErrorOnUnknownConfiguration = true);
        return services;
    }

    /// <summary>
    /// Registers a fitted <see cref="EdDetector"/> loaded from <paramref name="modelPath"/> when it is first resolved.
    /// At start the file must exist (and the other <see cref="DetectorModelOptions"/> be valid).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="modelPath">The model file written by <see cref="EdDetector.Save"/>.</param>
    /// <param name="configure">Changes the other load settings (device, backbone weights); null for the defaults.</param>
    /// <returns>The same service collection.</returns>
    /// <exception cref="InvalidOperationException">A detector built from options is already registered.</exception>
    public static IServiceCollection AddAnomalyDetectionFromModel(this IServiceCollection services, string modelPath, Action<DetectorModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        AddLoadedDetector(services).Configure(options =>
        {
            options.ModelPath = modelPath;
            configure?.Invoke(options);
        });
        return services;
    }

    /// <summary>
    /// Registers a fitted <see cref="EdDetector"/> loaded, when it is first resolved, from the model file named by the
    /// <c>ModelPath</c> key of <paramref name="section"/> (the other keys are the properties of <see cref="DetectorModelOptions"/>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section, for example <c>configuration.GetSection("AnomalyDetection")</c>.</param>
    /// <returns>The same service collection.</returns>
    /// <exception cref="InvalidOperationException">A detector built from options is already registered.</exception>
    public static IServiceCollection AddAnomalyDetectionFromModel(this IServiceCollection services, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        AddLoadedDetector(services).Bind(section, binder => binder.ErrorOnUnknownConfiguration = true);
        return services;
    }

    private static OptionsBuilder<DetectorOptions> AddBuiltDetector(IServiceCollection services)
    {
        ThrowIfOtherDetector(services, LoadDetector, nameof(AddAnomalyDetection), nameof(AddAnomalyDetectionFromModel));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DetectorOptions>, DetectorOptionsValidator>());
        services.TryAddSingleton(BuildDetector);
        return services.AddOptionsWithValidateOnStart<DetectorOptions>();
    }

    private static OptionsBuilder<DetectorModelOptions> AddLoadedDetector(IServiceCollection services)
    {
        ThrowIfOtherDetector(services, BuildDetector, nameof(AddAnomalyDetectionFromModel), nameof(AddAnomalyDetection));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DetectorModelOptions>, DetectorModelOptionsValidator>());
        services.TryAddSingleton(LoadDetector);
        return services.AddOptionsWithValidateOnStart<DetectorModelOptions>();
    }

    // TryAdd would silently keep the first of two different detectors; mixing the two sources is a mistake worth naming.
    private static void ThrowIfOtherDetector(IServiceCollection services, Func<IServiceProvider, EdDetector> otherFactory, string method, string otherMethod)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(EdDetector) && !descriptor.IsKeyedService && descriptor.ImplementationFactory?.Method == otherFactory.Method)
            {
                throw new InvalidOperationException(
                    $"{method} was called after {otherMethod}: a service collection holds one EdDetector, either built from DetectorOptions or loaded from a model file; register only one of them.");
            }
        }
    }

    private static EdDetector BuildDetector(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<DetectorOptions>>().Value;
        return new EdDetectorBuilder(options).WithLoggerFactory(LoggerFactoryOf(services)).Build();
    }

    private static EdDetector LoadDetector(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<DetectorModelOptions>>().Value;
        options.LoggerFactory = LoggerFactoryOf(services);
        return EdDetector.LoadNamed(options.ModelPath!, options, "DetectorModelOptions.");
    }

    private static ILoggerFactory LoggerFactoryOf(IServiceProvider services) => services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
}

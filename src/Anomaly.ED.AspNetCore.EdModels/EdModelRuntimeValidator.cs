using Microsoft.Extensions.Options;

namespace Anomaly.ED.AspNetCore.EdModels;

/// <summary>
/// Checks at start the runtime settings that only model files use (an exported graph computes in float32 whatever
/// <see cref="RuntimeOptions.Precision"/> says), when at least one is configured; the service checks device and threads.
/// </summary>
internal sealed class EdModelRuntimeValidator : IValidateOptions<AnomalyDetectionServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, AnomalyDetectionServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var servesModelFiles = options.Models.Any(m => string.Equals(Path.GetExtension(m.Path), EdModelLoader.FileExtension, StringComparison.OrdinalIgnoreCase));
        if (!servesModelFiles || options.Runtime is null)
        {
            return ValidateOptionsResult.Skip;
        }

        var precision = options.Runtime.Precision;
        return precision is not null && RuntimeOptions.Precisions.Contains(precision.ToLowerInvariant())
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Runtime.Precision '{precision}' is not {string.Join(", ", RuntimeOptions.Precisions)} (the number formats model files compute in).");
    }
}

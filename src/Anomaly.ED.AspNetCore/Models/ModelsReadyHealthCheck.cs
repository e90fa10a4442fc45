using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Anomaly.ED.AspNetCore.Models;

/// <summary>Healthy once every hosted model is loaded and warmed up (<c>/readyz</c>); names what is loading or failed.</summary>
internal sealed class ModelsReadyHealthCheck(ModelCatalog catalog) : IHealthCheck
{
    public const string Tag = "anomaly-ed-ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(catalog.NotReadyReason() is { } reason
            ? new HealthCheckResult(context.Registration.FailureStatus, reason, catalog.LoadFailure)
            : HealthCheckResult.Healthy(string.Join(", ", catalog.Names) + " ready"));
}

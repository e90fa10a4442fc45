using Anomaly.ED.Cli.Progress;
using Anomaly.ED.Cli.Serving;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Anomaly.ED.Cli.Commands;

/// <summary><c>serve</c>: hosts models behind the REST API, the web page, health checks and metrics until Ctrl+C.</summary>
internal sealed class ServeCommand(IAnsiConsole console) : CliCommand<ServeSettings>(console)
{
    protected override async Task<int> RunAsync(ServeSettings settings, ProgressDisplay display, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        await using var app = ServeHost.Build(settings, logging => logging
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter((category, level) => level >= (settings.Verbose ? LogLevel.Debug : category?.StartsWith("Anomaly.ED", StringComparison.Ordinal) == true ? LogLevel.Information : LogLevel.Warning)));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        Line($"listening on {string.Join(", ", addresses)}: the web page at /, the API under /v1 (/openapi/v1.json), /healthz, /readyz, /metrics");
        try
        {
            // The models load in the background (/healthz answers meanwhile); a model that cannot be loaded ends the run.
            var health = app.Services.GetRequiredService<HealthCheckService>();
            while (true)
            {
                var report = await health.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
                if (report.Status == HealthStatus.Healthy)
                {
                    Line($"ready: {string.Join("; ", report.Entries.Values.Select(e => e.Description))}");
                    break;
                }

                if (report.Entries.Values.FirstOrDefault(e => e.Exception is not null) is { Exception: { } failure } failed)
                {
                    throw new InvalidOperationException(failed.Description ?? failure.Message, failure);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Line("stopping: finishing the requests in flight.");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}

using Prometheus;

namespace Anomaly.ED.Cli.Serving;

/// <summary>
/// How a stand-alone service publishes the service's <c>System.Diagnostics.Metrics</c> instruments with prometheus-net:
/// shared by <c>anomaly-ed serve</c> and the ONNX-only service sample (linked into it), so both answer <c>/metrics</c> alike.
/// </summary>
internal static class PrometheusMetrics
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        // Give the service's histograms their own buckets: batch sizes are counts, the others durations in seconds.
        Metrics.ConfigureMeterAdapter(o => o.ResolveHistogramBuckets = instrument => instrument.Name switch
        {
            "batch.size" when instrument.Meter.Name == "Anomaly.ED.AspNetCore" => [1, 2, 4, 8, 16, 32, 64],
            _ => [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        });

        // The adapter starts listening at the registry's first collection; collect once now, so that the requests
        // answered before the first scrape are counted too.
        Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null).GetAwaiter().GetResult();
        return true;
    });

    /// <summary>Configures the adapter once per process; call it before the application is built.</summary>
    public static void Configure() => _ = Configured.Value;
}

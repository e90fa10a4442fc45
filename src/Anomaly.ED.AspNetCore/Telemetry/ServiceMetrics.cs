using System.Diagnostics.Metrics;

namespace Anomaly.ED.AspNetCore.Telemetry;

/// <summary>
/// The service's instruments on the <c>Anomaly.ED.AspNetCore</c> meter (System.Diagnostics.Metrics), per model: any
/// exporter reads them (the <c>serve</c> tool publishes them in Prometheus format at <c>/metrics</c>).
/// </summary>
internal sealed class ServiceMetrics
{
    public const string MeterName = "Anomaly.ED.AspNetCore";

    /// <summary>Bucket bounds of the request latency histogram, in seconds.</summary>
    public static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Bucket bounds of the batch size histogram.</summary>
    public static readonly double[] BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64];

    private readonly Counter<long> requests;
    private readonly Histogram<double> duration;
    private readonly Histogram<int> batchSize;
    private readonly Histogram<double> batchDuration;
    private readonly Counter<long> dropped;
    private Func<IEnumerable<(string Model, int Length)>> queues = () => [];

    public ServiceMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        requests = meter.CreateCounter<long>("requests", "{request}", "Prediction requests answered, by model and HTTP status code.");
        duration = meter.CreateHistogram("request.duration", "s", "Prediction request latency, from the first byte read to the response, by model.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        batchSize = meter.CreateHistogram("batch.size", "{image}", "Images per scored batch, by model.", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [.. BatchSizeBuckets.Select(b => (int)b)] });
        batchDuration = meter.CreateHistogram("batch.duration", "s", "Time to score one batch, by model.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        dropped = meter.CreateCounter<long>("images.dropped", "{image}", "Queued images dropped unscored because their client went away, by model.");
        meter.CreateObservableGauge("queue.length", () => queues().Select(q => new Measurement<int>(q.Length, new KeyValuePair<string, object?>("model", q.Model))), "{image}", "Images waiting for a batch, by model.");
    }

    public void ObserveQueues(Func<IEnumerable<(string Model, int Length)>> source) => queues = source;

    public void RequestAnswered(string model, int status, TimeSpan elapsed)
    {
        var modelTag = new KeyValuePair<string, object?>("model", model);
        requests.Add(1, modelTag, new KeyValuePair<string, object?>("status", status));
        duration.Record(elapsed.TotalSeconds, modelTag);
    }

    public void BatchScored(string model, int size, TimeSpan elapsed)
    {
        var modelTag = new KeyValuePair<string, object?>("model", model);
        batchSize.Record(size, modelTag);
        batchDuration.Record(elapsed.TotalSeconds, modelTag);
    }

    public void ImageDropped(string model) => dropped.Add(1, new KeyValuePair<string, object?>("model", model));
}

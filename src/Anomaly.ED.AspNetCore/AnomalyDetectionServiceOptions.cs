namespace Anomaly.ED.AspNetCore;

/// <summary>
/// Settings of the prediction service that <c>MapAnomalyDetection</c> serves: the hosted models, micro-batching,
/// request limits and the optional API key. Validated when the host starts; read once.
/// </summary>
public sealed class AnomalyDetectionServiceOptions
{
    /// <summary>The models to host, each under its name; at least one.</summary>
    public IList<ServedModelOptions> Models { get; } = [];

    /// <summary>The most images one call of a model scores at once; queued images wait for the next batch.</summary>
    /// <value>The default value is 8.</value>
    public int MaxBatchSize { get; set; } = ServiceDefaults.MaxBatchSize;

    /// <summary>How long, in milliseconds, the first image of a batch waits for others before the batch runs anyway (0: never waits).</summary>
    /// <value>The default value is 5.</value>
    public int MaxBatchWaitMilliseconds { get; set; } = ServiceDefaults.MaxBatchWaitMilliseconds;

    /// <summary>How many decoded images may wait for each model; a request that finds the queue full is answered 503 with Retry-After.</summary>
    /// <value>The default value is 64.</value>
    public int QueueCapacity { get; set; } = ServiceDefaults.QueueCapacity;

    /// <summary>The largest request body accepted, in mebibytes; a larger one is answered 413.</summary>
    /// <value>The default value is 16.</value>
    public int MaxRequestMegabytes { get; set; } = ServiceDefaults.MaxRequestMegabytes;

    /// <summary>The largest image accepted, in pixels (width times height), checked against the declared size before any pixel memory is allocated; a larger one is answered 413.</summary>
    /// <value>The default value is 40,000,000 (about 6300 x 6300).</value>
    public long MaxImagePixels { get; set; } = ServiceDefaults.MaxImagePixels;

    /// <summary>The seconds a client is told to wait (Retry-After) when a queue is full or a model is still loading.</summary>
    /// <value>The default value is 1.</value>
    public int RetryAfterSeconds { get; set; } = ServiceDefaults.RetryAfterSeconds;

    /// <summary>When set, every <c>/v1</c> request must carry this value in the <c>X-Api-Key</c> header (else 401).</summary>
    /// <value>The default value is <see langword="null"/>: no key.</value>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Where the models run, shared by every hosted model: an exported graph uses the device and threads (ONNX Runtime
    /// computes in float32 whatever the precision); a model file uses every setting.
    /// </summary>
    public RuntimeOptions Runtime { get; set; } = new();
}

namespace Anomaly.ED.AspNetCore;

/// <summary>The documented defaults of <see cref="AnomalyDetectionServiceOptions"/>, in one place.</summary>
internal static class ServiceDefaults
{
    public const int MaxBatchSize = 8;
    public const int MaxBatchWaitMilliseconds = 5;
    public const int QueueCapacity = 64;
    public const int MaxRequestMegabytes = 16;
    public const long MaxImagePixels = 40_000_000;
    public const int RetryAfterSeconds = 1;
    public const string ApiKeyHeader = "X-Api-Key";
}

namespace Anomaly.ED.Data;

/// <summary>Settings of <see cref="DatasetLoader"/>: batch size, decoding parallelism, prefetch bound and bad-file policy.</summary>
internal sealed class DatasetLoaderOptions
{
    /// <summary>Images per batch (the last batch may be smaller).</summary>
    /// <value>The default value is 8.</value>
    public int BatchSize { get; set; } = 8;

    /// <summary>How many images are decoded and transformed at once, on thread-pool threads.</summary>
    /// <value>The default value is <see cref="Environment.ProcessorCount"/>.</value>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// How many images may be waiting, decoded or being decoded, ahead of the batch being handed out; this bounds
    /// memory for large folders. 0 means twice the batch size (at least <see cref="MaxDegreeOfParallelism"/>).
    /// </summary>
    /// <value>The default value is 0.</value>
    public int PrefetchCount { get; set; }

    /// <summary>Whether an undecodable image or mask, or a mask of the wrong size, throws or is skipped with a warning.</summary>
    /// <value>The default value is <see cref="BadFilePolicy.Throw"/>.</value>
    public BadFilePolicy BadFiles { get; set; } = BadFilePolicy.Throw;
}

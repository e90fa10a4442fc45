namespace Anomaly.ED;

/// <summary>Deployment settings: where a detector runs and how it may fetch weights. Not saved in the model file; given again at load (<see cref="EdLoadOptions"/>).</summary>
public sealed class RuntimeOptions
{
    /// <summary>
    /// The compute device: <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c>. A CUDA device where CUDA is not available (a
    /// CPU-only TorchSharp runtime, no GPU, or an index past the last GPU) makes <see cref="EdDetectorBuilder.Build"/>
    /// throw an <see cref="InvalidOperationException"/> naming this option.
    /// </summary>
    /// <value>The default value is <c>"cpu"</c>.</value>
    public string Device { get; set; } = EdDefaults.Device;

    /// <summary>Whether a pretrained checkpoint missing from the cache may be downloaded; otherwise only the cache is used.</summary>
    /// <value>The default value is <see langword="false"/>: no network call unless asked.</value>
    public bool AllowDownload { get; set; }

    /// <summary>The folder of the pretrained-weights cache; null for the default under the user's cache directory.</summary>
    public string? WeightsCacheDirectory { get; set; }

    /// <summary>
    /// The intra-op threads of the CPU kernels, set for the whole process when the detector is built: null for the
    /// number of physical cores, 0 to keep the process's setting (for example one the application made itself), or a count.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (physical cores, hyperthreads not counted).</value>
    public int? IntraOpThreads { get; set; }

    internal RuntimeOptions Clone() => (RuntimeOptions)MemberwiseClone();
}

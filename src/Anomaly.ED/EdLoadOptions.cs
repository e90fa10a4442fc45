using Microsoft.Extensions.Logging;

namespace Anomaly.ED;

/// <summary>Options of <see cref="EdDetector.Load"/>: the deployment settings a model file does not hold (device, weights source and cache, download permission) and logging.</summary>
public sealed class EdLoadOptions
{
    /// <summary>A local safetensors file with the backbone weights; null to use the source recorded in the model (its file path or pretrained checkpoint) when the file does not embed them.</summary>
    public string? BackboneWeightsPath { get; set; }

    /// <summary>Whether a pretrained checkpoint recorded in the model may be downloaded when it is not in the cache.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowDownload { get; set; }

    /// <summary>The pretrained-weights cache folder; null for the default.</summary>
    public string? WeightsCacheDirectory { get; set; }

    /// <summary>
    /// The device to run on (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:N"</c>); model files do not record one, so a model saved on
    /// one device loads on any. A CUDA device where CUDA is not available (a CPU-only TorchSharp runtime, no GPU, or an
    /// index past the last GPU) makes <see cref="EdDetector.Load"/> throw an <see cref="InvalidOperationException"/> naming this option.
    /// </summary>
    /// <value>The default value is <c>"cpu"</c>.</value>
    public string Device { get; set; } = EdDefaults.Device;

    /// <summary>The intra-op threads of the CPU kernels, set for the whole process at load (see <see cref="RuntimeOptions.IntraOpThreads"/>).</summary>
    /// <value>The default value is <see langword="null"/> (physical cores).</value>
    public int? IntraOpThreads { get; set; }

    /// <summary>
    /// Whether <see cref="EdDetector.Load"/> scores one blank image at a fitted model's input size before it returns, so that
    /// the first real prediction does not pay libtorch's first-call costs (oneDNN kernel creation, first-touch memory):
    /// without it a fresh process's first prediction takes about twice as long as the next (docs/benchmarks.md).
    /// </summary>
    /// <value>The default value is <see langword="true"/>; false loads faster when the process scores one image and exits.</value>
    public bool WarmUp { get; set; } = true;

    // What errors call the device option: hosting users set EdModelOptions.Device, not this class.
    internal string DeviceOptionName { get; init; } = "EdLoadOptions.Device";

    /// <summary>The logger factory; null for no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

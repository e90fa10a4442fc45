using Microsoft.Extensions.Logging;

namespace Anomaly.ED;

/// <summary>Options of <see cref="EdDetector.Load"/>: where backbone weights come from when the model file does not embed them, the device and logging.</summary>
public sealed class EdLoadOptions
{
    /// <summary>A local safetensors file with the backbone weights; null to use the source recorded in the model (its file path or pretrained checkpoint).</summary>
    public string? BackboneWeightsPath { get; set; }

    /// <summary>Whether a pretrained checkpoint recorded in the model may be downloaded when it is not in the cache.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowDownload { get; set; }

    /// <summary>The pretrained-weights cache folder; null for the default.</summary>
    public string? WeightsCacheDirectory { get; set; }

    /// <summary>The device to run on (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:N"</c>); null keeps the one saved in the model.</summary>
    public string? Device { get; set; }

    /// <summary>The logger factory; null for no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

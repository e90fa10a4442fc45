using Microsoft.Extensions.Logging;

namespace Anomaly.ED;

/// <summary>Options of <see cref="EdDetector.Load"/>: what a model file does not hold (where the detector runs, a backbone weights file for a model saved without them) and logging.</summary>
public class LoadOptions
{
    /// <summary>A local safetensors file with the backbone weights; null to use the source recorded in the model (its file path or pretrained checkpoint) when the file does not embed them.</summary>
    public string? BackboneWeightsPath { get; set; }

    /// <summary>Where the detector runs and how it may fetch the recorded pretrained weights.</summary>
    public RuntimeOptions Runtime { get; set; } = new();

    /// <summary>
    /// Whether <see cref="EdDetector.Load"/> scores one blank image at the model's input size before it returns, so that
    /// the first real prediction does not pay libtorch's first-call costs (kernel creation, first-touch memory): without
    /// it a fresh process's first prediction takes about twice as long as the next (docs/benchmarks.md).
    /// </summary>
    /// <value>The default value is <see langword="true"/>; false loads faster when the process scores one image and exits.</value>
    public bool WarmUp { get; set; } = true;

    /// <summary>The logger factory; null for no logging (hosting uses the application's).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

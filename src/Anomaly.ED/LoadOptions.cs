using Microsoft.Extensions.Logging;

namespace Anomaly.ED;

/// <summary>Options of <see cref="EdDetector.Load"/>: what a model file does not hold (where the detector runs, a backbone weights file for a model saved without them) and logging.</summary>
public class LoadOptions
{
    /// <summary>A local safetensors file with the backbone weights; null to use the source recorded in the model (its file path or pretrained checkpoint) when the file does not embed them.</summary>
    public string? BackboneWeightsPath { get; set; }

    /// <summary>Where the detector runs and how it may fetch the recorded pretrained weights.</summary>
    public RuntimeOptions Runtime { get; set; } = new();

    /// <summary>The logger factory; null for no logging (hosting uses the application's).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

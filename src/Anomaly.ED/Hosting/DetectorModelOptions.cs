namespace Anomaly.ED.Hosting;

/// <summary>Which model file a detector registered with <c>AddAnomalyDetectionFromModel</c> is loaded from, and how (the <see cref="LoadOptions"/>), bindable from configuration.</summary>
/// <remarks>Validated at start: the model file (and a backbone weights file, when given) must exist and the runtime settings be valid.</remarks>
public sealed class DetectorModelOptions : LoadOptions
{
    /// <summary>The model file written by <see cref="EdDetector.Save"/>; a relative path is resolved against the process's current directory.</summary>
    public string? ModelPath { get; set; }
}

using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Hosting;

/// <summary>Where a detector registered with <c>AddAnomalyDetectionFromModel</c> is loaded from, bindable from configuration.</summary>
/// <remarks>Validated at start: the model file (and a backbone weights file, when given) must exist and the device name must be valid.</remarks>
public sealed class EdModelOptions
{
    /// <summary>The model file written by <see cref="EdDetector.Save"/>; a relative path is resolved against the process's current directory.</summary>
    public string? ModelPath { get; set; }

    /// <summary>A local safetensors file with the backbone weights, for a model saved without them; null to use the source recorded in the model.</summary>
    public string? BackboneWeightsPath { get; set; }

    /// <summary>Whether a pretrained checkpoint recorded in the model may be downloaded when it is not in the cache.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowDownload { get; set; }

    /// <summary>The pretrained-weights cache folder; null for the default.</summary>
    public string? WeightsCacheDirectory { get; set; }

    /// <summary>The device to run on (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:N"</c>); null for <c>"cpu"</c> (model files do not record a device).</summary>
    public string? Device { get; set; }

    /// <summary>The intra-op threads of the CPU kernels, set for the whole process (see <see cref="RuntimeOptions.IntraOpThreads"/>); null for the physical cores.</summary>
    public int? IntraOpThreads { get; set; }

    /// <summary>The options of <see cref="EdDetector.Load"/> these settings describe, logging to <paramref name="loggerFactory"/>.</summary>
    internal EdLoadOptions ToLoadOptions(ILoggerFactory loggerFactory) => new()
    {
        BackboneWeightsPath = BackboneWeightsPath,
        AllowDownload = AllowDownload,
        WeightsCacheDirectory = WeightsCacheDirectory,
        Device = Device ?? EdDefaults.Device,
        DeviceOptionName = "EdModelOptions.Device (AddAnomalyDetectionFromModel)",
        IntraOpThreads = IntraOpThreads,
        LoggerFactory = loggerFactory,
    };
}

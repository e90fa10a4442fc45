using System.Globalization;

namespace Anomaly.ED;

/// <summary>
/// Where and how a detector runs: device, CPU threads, the pretrained-weights cache and downloads. The one type for these
/// settings whether a detector is built (<see cref="DetectorOptions.Runtime"/>), loaded (<see cref="LoadOptions.Runtime"/>)
/// or hosted; never saved in a model file, so a model saved on one machine runs on any.
/// </summary>
public sealed class RuntimeOptions
{
    /// <summary>
    /// The compute device: <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c>. A CUDA device where CUDA is not available (a
    /// CPU-only TorchSharp runtime, no GPU, or an index past the last GPU) makes building or loading throw an
    /// <see cref="InvalidOperationException"/> naming this option.
    /// </summary>
    /// <value>The default value is <c>"cpu"</c>.</value>
    public string Device { get; set; } = DetectorDefaults.Device;

    /// <summary>Whether a pretrained checkpoint missing from the cache may be downloaded; otherwise only the cache is used.</summary>
    /// <value>The default value is <see langword="false"/>: no network call unless asked.</value>
    public bool AllowDownload { get; set; }

    /// <summary>The folder of the pretrained-weights cache; null for the default under the user's cache directory.</summary>
    public string? WeightsCacheDirectory { get; set; }

    /// <summary>
    /// The intra-op threads of the CPU kernels, set for the whole process when the detector is built or loaded: null for
    /// the number of physical cores, 0 to keep the process's setting (for example one the application made itself), or a count.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (physical cores, hyperthreads not counted).</value>
    public int? IntraOpThreads { get; set; }

    // What errors call the device option: the user set it through the builder, the load options or hosting.
    internal string DeviceOptionName { get; init; } = "RuntimeOptions.Device";

    /// <summary>The problems of these settings, each naming the option under <paramref name="prefix"/> (for example <c>"Runtime."</c>).</summary>
    internal IEnumerable<string> Failures(string prefix)
    {
        if (!DeviceName.TryParse(Device, out _))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{prefix}Device '{Device}' is not 'cpu', 'cuda' or 'cuda:N'.");
        }

        if (IntraOpThreads < 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{prefix}IntraOpThreads = {IntraOpThreads} must be null (physical cores), 0 (keep the process's setting) or positive.");
        }
    }

    internal RuntimeOptions Clone() => (RuntimeOptions)MemberwiseClone();

    internal RuntimeOptions Named(string deviceOptionName) => new()
    {
        Device = Device,
        AllowDownload = AllowDownload,
        WeightsCacheDirectory = WeightsCacheDirectory,
        IntraOpThreads = IntraOpThreads,
        DeviceOptionName = deviceOptionName,
    };
}

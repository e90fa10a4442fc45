namespace Anomaly.ED;

/// <summary>
/// Where and how a detector runs: device, number format, CPU threads, the pretrained-weights cache and downloads. The one type for these
/// settings whether a detector is built (<c>DetectorOptions.Runtime</c>), loaded (<c>LoadOptions.Runtime</c>) or hosted
/// (<c>AnomalyDetectionServiceOptions.Runtime</c>); never saved in a model file, so a model saved on one machine runs on any.
/// Plain data, in <c>Anomaly.ED.Core</c> so that a host without TorchSharp can carry it; each runtime checks the settings it uses.
/// </summary>
public sealed class RuntimeOptions
{
    /// <summary>
    /// The compute device: <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c>. A CUDA device where CUDA is not available (a
    /// CPU-only TorchSharp runtime, no GPU, or an index past the last GPU) makes building or loading throw an
    /// <see cref="InvalidOperationException"/> naming this option.
    /// </summary>
    /// <value>The default value is <c>"cpu"</c>.</value>
    public string Device { get; set; } = RuntimeDefaults.Device;

    /// <summary>
    /// The number format prediction computes in: the backbone, the ED/FOD level networks and HETMM's matching products run
    /// in it, with float32 accumulation, while token scores, the attention's KL terms, the maps and image scores stay
    /// float32 (docs/precision.md). Fitting always computes in float32. <c>"float32"</c> is the parity mode; <c>"float16"</c>
    /// needs a CUDA <see cref="Device"/> (a validation error otherwise); <c>"bfloat16"</c> on a CPU without
    /// bfloat16 instructions (AVX512-BF16 or AMX, read from /proc/cpuinfo on Linux) makes building or loading throw an
    /// <see cref="InvalidOperationException"/> naming this option.
    /// </summary>
    /// <value>The default value is <c>"float32"</c>; the others are <c>"bfloat16"</c> and <c>"float16"</c> (any case).</value>
    public string Precision { get; set; } = nameof(ComputePrecision.Float32).ToLowerInvariant();

    /// <summary>The values <see cref="Precision"/> takes, as lower-case names.</summary>
    public static IReadOnlyList<string> Precisions { get; } = [.. Enum.GetNames<ComputePrecision>().Select(n => n.ToLowerInvariant())];

    /// <summary><see cref="Precision"/> as a value (float32 when it names none; validation reports that).</summary>
    internal ComputePrecision ComputePrecision => Enum.TryParse<ComputePrecision>(Precision, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(Precision, out _)
        ? value
        : ComputePrecision.Float32;

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

    // The same for the precision option.
    internal string PrecisionOptionName { get; init; } = "RuntimeOptions.Precision";

    internal RuntimeOptions Clone() => (RuntimeOptions)MemberwiseClone();

    internal RuntimeOptions Named(string deviceOptionName, string precisionOptionName) => new()
    {
        Device = Device,
        AllowDownload = AllowDownload,
        WeightsCacheDirectory = WeightsCacheDirectory,
        IntraOpThreads = IntraOpThreads,
        Precision = Precision,
        DeviceOptionName = deviceOptionName,
        PrecisionOptionName = precisionOptionName,
    };
}

using System.Globalization;

namespace Anomaly.ED;

/// <summary>
/// The TorchSharp runtime's rules on <see cref="RuntimeOptions"/>: which devices and number formats it runs. They live
/// here, beside the code that applies them, because the options type is plain data in <c>Anomaly.ED.Core</c>, and a
/// runtime without TorchSharp (ONNX Runtime) checks only what it uses.
/// </summary>
internal static class RuntimeOptionsValidation
{
    /// <summary>The problems of <paramref name="runtime"/>, each naming the option under <paramref name="prefix"/> (for example <c>"Runtime."</c>).</summary>
    public static IEnumerable<string> Failures(this RuntimeOptions runtime, string prefix)
    {
        if (!DeviceName.TryParse(runtime.Device, out _))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{prefix}Device '{runtime.Device}' is not 'cpu', 'cuda' or 'cuda:N'.");
        }

        if (runtime.Precision is null || !RuntimeOptions.Precisions.Contains(runtime.Precision.ToLowerInvariant()))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{prefix}Precision '{runtime.Precision}' is not {string.Join(", ", RuntimeOptions.Precisions)}.");
        }
        else if (runtime.ComputePrecision == ComputePrecision.Float16 && DeviceName.TryParse(runtime.Device, out var parsed) && parsed.Type == TorchSharp.DeviceType.CPU)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{prefix}Precision = Float16 needs a CUDA device but {prefix}Device is '{runtime.Device}'; on a CPU use BFloat16 or Float32.");
        }

        if (runtime.IntraOpThreads < 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{prefix}IntraOpThreads = {runtime.IntraOpThreads} must be null (physical cores), 0 (keep the process's setting) or positive.");
        }
    }
}

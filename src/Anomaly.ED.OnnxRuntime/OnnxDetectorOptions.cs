using Microsoft.Extensions.Logging;

namespace Anomaly.ED.OnnxRuntime;

/// <summary>Where and how <see cref="OnnxDetector.Load"/> runs an exported detector.</summary>
public sealed class OnnxDetectorOptions
{
    /// <summary>The device: <c>cpu</c>, or <c>cuda</c> / <c>cuda:N</c> for ONNX Runtime's CUDA execution provider, which needs
    /// ONNX Runtime's GPU build in the application (the package Microsoft.ML.OnnxRuntime.Gpu) and CUDA on the machine.</summary>
    /// <value>The default value is <c>cpu</c>.</value>
    public string Device { get; set; } = "cpu";

    /// <summary>Threads one inference uses on the CPU; null for ONNX Runtime's default (the physical cores).</summary>
    /// <value>The default value is null.</value>
    public int? IntraOpThreads { get; set; }

    /// <summary>Receives the detector's log messages; null for none.</summary>
    /// <value>The default value is null.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming an invalid setting.</summary>
    public void Validate() => CudaDevice();

    /// <summary>The CUDA device index, or null for the CPU.</summary>
    internal int? CudaDevice()
    {
        if (IntraOpThreads is <= 0)
        {
            throw new ArgumentException($"OnnxDetectorOptions.IntraOpThreads = {IntraOpThreads} must be positive or null.");
        }

        var device = Device?.Trim().ToLowerInvariant();
        return device switch
        {
            "cpu" => null,
            "cuda" => 0,
            _ when device is not null && device.StartsWith("cuda:", StringComparison.Ordinal)
                && int.TryParse(device.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) => index,
            _ => throw new ArgumentException($"OnnxDetectorOptions.Device = '{Device}' must be cpu, cuda or cuda:N."),
        };
    }
}

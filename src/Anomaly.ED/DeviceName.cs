using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED;

/// <summary>Parses the device names accepted in options: "cpu", "cuda" and "cuda:N".</summary>
internal static class DeviceName
{
    public static bool TryParse(string? name, out (DeviceType Type, int Index) device)
    {
        device = default;
        if (string.Equals(name, "cpu", StringComparison.OrdinalIgnoreCase))
        {
            device = (DeviceType.CPU, -1);
            return true;
        }

        if (string.Equals(name, "cuda", StringComparison.OrdinalIgnoreCase))
        {
            device = (DeviceType.CUDA, 0);
            return true;
        }

        if (name is not null && name.StartsWith("cuda:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            device = (DeviceType.CUDA, index);
            return true;
        }

        return false;
    }

    /// <summary>The TorchSharp device for a validated name; a CUDA device that is not available is a clear error naming <paramref name="option"/>.</summary>
    /// <param name="name">The device name.</param>
    /// <param name="option">The option that gave it, for messages (e.g. <c>RuntimeOptions.Device</c>).</param>
    /// <exception cref="InvalidOperationException">CUDA is not available (a CPU-only TorchSharp runtime, or no NVIDIA GPU), or the GPU index is past the last GPU.</exception>
    public static Device ToDevice(string name, string option)
    {
        if (!TryParse(name, out var d))
        {
            throw new ArgumentException($"{option} '{name}' is not 'cpu', 'cuda' or 'cuda:N'.", nameof(name));
        }

        if (d.Type == DeviceType.CPU)
        {
            return CPU;
        }

        if (!cuda.is_available())
        {
            throw new InvalidOperationException(
                $"{option} is '{name}' but CUDA is not available here: reference a TorchSharp CUDA runtime bundle (build with -p:TorchSharpRuntime=cuda) on a machine with an NVIDIA GPU and its driver, or set {option} to 'cpu'.");
        }

        var count = cuda.device_count();
        return d.Index < count
            ? new Device(DeviceType.CUDA, d.Index)
            : throw new InvalidOperationException($"{option} is '{name}' but this machine has {count} CUDA device(s), numbered from 0.");
    }
}

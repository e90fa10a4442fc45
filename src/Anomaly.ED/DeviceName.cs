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

    /// <summary>The TorchSharp device for a validated name; a CUDA device that is not available is a clear error.</summary>
    public static Device ToDevice(string name)
    {
        if (!TryParse(name, out var d))
        {
            throw new ArgumentException($"Device '{name}' is not 'cpu', 'cuda' or 'cuda:N'.", nameof(name));
        }

        if (d.Type == DeviceType.CUDA && !cuda.is_available())
        {
            throw new InvalidOperationException(
                $"Device '{name}' was requested but CUDA is not available: reference a TorchSharp CUDA runtime bundle (build with -p:TorchSharpRuntime=cuda) on a machine with an NVIDIA GPU, or use 'cpu'.");
        }

        return d.Type == DeviceType.CPU ? CPU : new Device(DeviceType.CUDA, d.Index);
    }
}

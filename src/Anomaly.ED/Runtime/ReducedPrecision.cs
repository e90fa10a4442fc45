using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Runtime;

/// <summary>What <see cref="RuntimeOptions.Precision"/> means for tensors, and whether the device has it.</summary>
internal static class ReducedPrecision
{
    private static readonly Lazy<bool> CpuBFloat16 = new(() => CpuHasBFloat16(ReadCpuInfo()));

    /// <summary>The element type of the reduced computation; null for float32 (the parity path, untouched).</summary>
    public static ScalarType? ComputeType(ComputePrecision precision) => precision switch
    {
        ComputePrecision.BFloat16 => ScalarType.BFloat16,
        ComputePrecision.Float16 => ScalarType.Float16,
        _ => null,
    };

    /// <summary>Whether <paramref name="type"/> is one of the reduced types (so integer-valued tables stay float32).</summary>
    public static bool IsReduced(ScalarType? type) => type is ScalarType.BFloat16 or ScalarType.Float16;

    /// <summary>Refuses a precision the device lacks, naming the option.</summary>
    /// <exception cref="InvalidOperationException">Float16 on a CPU, or BFloat16 on a CPU without bfloat16 instructions.</exception>
    public static void Check(ComputePrecision precision, Device device, string option)
    {
        if (device.type != DeviceType.CPU || precision == ComputePrecision.Float32)
        {
            return;
        }

        if (precision == ComputePrecision.Float16)
        {
            throw new InvalidOperationException($"{option} is Float16, which needs a CUDA device; on a CPU use BFloat16 or Float32.");
        }

        // Without the instructions oneDNN emulates bfloat16 through float32 and every conversion is extra work.
        if (!CpuBFloat16.Value)
        {
            throw new InvalidOperationException($"{option} is BFloat16 but this CPU has no bfloat16 instructions (avx512_bf16 or amx_bf16 in /proc/cpuinfo), so it would only run slower; set {option} to Float32.");
        }
    }

    /// <summary>Whether a /proc/cpuinfo text lists AVX512-BF16 or AMX-BF16; true where there is no such file (other systems, ARM), whose support oneDNN decides.</summary>
    public static bool CpuHasBFloat16(string? cpuInfo)
    {
        if (cpuInfo is null)
        {
            return true;
        }

        var flags = cpuInfo.Split('\n').FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        if (flags is null)
        {
            return true;
        }

        var names = flags[(flags.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return names.Contains("avx512_bf16") || names.Contains("amx_bf16");
    }

    private static string? ReadCpuInfo()
    {
        try
        {
            return File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

namespace Anomaly.ED.Benchmarks;

/// <summary>The process's peak resident memory (Linux: VmHWM), with a reset between phases.</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size in MB since the start or the last <see cref="ResetPeak"/>; null where unknown.</summary>
    public static double? PeakResidentMegabytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>Resets the peak to the current resident size (Linux 4.0+: "5" to /proc/self/clear_refs).</summary>
    /// <returns>Whether the reset is supported here.</returns>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

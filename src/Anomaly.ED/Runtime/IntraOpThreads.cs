using static TorchSharp.torch;

namespace Anomaly.ED.Runtime;

/// <summary>
/// The intra-op thread count of TorchSharp's CPU kernels, one setting for the whole process: a detector sets it when it
/// is built or loaded, so that its speed does not depend on what the process happened to have.
/// </summary>
internal static class IntraOpThreads
{
    /// <summary>Applies a <see cref="RuntimeOptions.IntraOpThreads"/> value: null for the physical cores, 0 to keep the process's setting, else that many.</summary>
    /// <returns>The thread count in force afterwards.</returns>
    public static int Apply(int? requested)
    {
        var threads = requested ?? PhysicalCores();
        if (threads > 0 && threads != get_num_threads())
        {
            set_num_threads(threads);
        }

        return get_num_threads();
    }

    /// <summary>Physical cores: distinct (physical id, core id) pairs of /proc/cpuinfo on Linux, else the logical processor count.</summary>
    // Hyperthreads share a core's vector units, so one intra-op thread per logical processor only adds synchronisation.
    public static int PhysicalCores()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!OperatingSystem.IsLinux() || !File.Exists(cpuinfo))
        {
            return Environment.ProcessorCount;
        }

        var cores = new HashSet<string>();
        var physical = "0";
        foreach (var line in File.ReadLines(cpuinfo))
        {
            var parts = line.Split(':', 2);
            if (parts.Length != 2)
            {
                continue;
            }

            var key = parts[0].Trim();
            if (key == "physical id")
            {
                physical = parts[1].Trim();
            }
            else if (key == "core id")
            {
                cores.Add(physical + "/" + parts[1].Trim());
            }
        }

        // A container limited to fewer processors than the host's cores must not get more threads than it may run.
        return cores.Count > 0 ? Math.Min(cores.Count, Environment.ProcessorCount) : Environment.ProcessorCount;
    }
}

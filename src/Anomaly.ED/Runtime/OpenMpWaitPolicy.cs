using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Anomaly.ED.Runtime;

/// <summary>
/// Makes libtorch's OpenMP threads sleep, not spin, while they wait for work: <c>OMP_WAIT_POLICY=PASSIVE</c> in the
/// process's native environment when it is unset, before libtorch (and its libgomp) loads.
/// </summary>
/// <remarks>
/// libgomp's default makes every intra-op thread spin for a while after each parallel region. Two libtorch processes on
/// the same cores (a service beside a training job, two tool runs) then burn each other's time slices spinning, and
/// each fell to about a tenth of its speed alone (docs/benchmarks.md); sleeping, each keeps most of it. libgomp reads
/// the variable once, when it loads, and .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not
/// reach the native environment on Linux or macOS, hence libc's <c>setenv</c> from the module initializer: it runs when
/// this assembly loads, before any of its code can load libtorch. A value the user set (<c>ACTIVE</c> for a machine
/// that runs nothing else) is kept. An application that used TorchSharp before this assembly loaded must set the
/// variable itself.
/// </remarks>
internal static partial class OpenMpWaitPolicy
{
    /// <summary>The variable libgomp and Intel's OpenMP read.</summary>
    public const string Variable = "OMP_WAIT_POLICY";

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "The setting must be made before libtorch loads, which any of this library's calls can trigger.")]
    internal static void SetDefault()
    {
        if (!OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable(Variable) is null)
        {
            try
            {
                // overwrite 0: a value already in the native environment wins.
                _ = SetEnv(Variable, "PASSIVE", 0);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // A libc without setenv: libgomp keeps its default, which costs speed beside other processes, never correctness.
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}

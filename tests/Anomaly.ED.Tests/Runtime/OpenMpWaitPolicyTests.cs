using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Anomaly.ED.Runtime;

namespace Anomaly.ED.Tests.Runtime;

public sealed class OpenMpWaitPolicyTests
{
    [Fact]
    public void Loading_the_library_makes_OpenMP_threads_sleep_unless_the_environment_chose_a_policy()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        RuntimeHelpers.RunModuleConstructor(typeof(EdDetector).Module.ModuleHandle);

        // .NET reads the environment once; the library's setenv reaches only the native environment, which libgomp reads.
        var chosen = Environment.GetEnvironmentVariable(OpenMpWaitPolicy.Variable);
        Marshal.PtrToStringUTF8(NativeEnvironment.Get(OpenMpWaitPolicy.Variable)).Should().Be(chosen ?? "PASSIVE");
    }
}

internal static class NativeEnvironment
{
    [DllImport("libc", EntryPoint = "getenv")]
    public static extern IntPtr Get([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}

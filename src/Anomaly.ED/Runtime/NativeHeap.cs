using System.Runtime.InteropServices;

namespace Anomaly.ED.Runtime;

/// <summary>
/// Process-wide tuning of the native heap that TorchSharp allocates tensors from. ED's attention and prior maps are
/// tens of megabytes each and short-lived; glibc serves such blocks with fresh mmap calls and returns them on free, so
/// every tensor operation pays page faults again. Keeping freed memory in the heap made a level-1 forward pass about
/// three times faster on a 2-core VM (docs/benchmarks.md).
/// </summary>
/// <remarks>Opt-in, because it changes the whole process: the heap then keeps its peak size instead of shrinking.</remarks>
public static partial class NativeHeap
{
    private const int MallocTrimThreshold = -1;
    private const int MallocMmapMax = -4;

    /// <summary>
    /// On Linux with glibc, makes malloc serve large blocks from the heap and keep freed memory for reuse
    /// (<c>mallopt(M_MMAP_MAX, 0)</c>, <c>mallopt(M_TRIM_THRESHOLD, int.MaxValue)</c>). Call it once at start-up,
    /// before large tensors exist.
    /// </summary>
    /// <returns>True when the settings were applied; false on other systems or C libraries, where nothing changes.</returns>
    public static bool RetainFreedMemory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return Mallopt(MallocMmapMax, 0) == 1 && Mallopt(MallocTrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl and other C libraries have no mallopt: their allocators are left as they are.
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}

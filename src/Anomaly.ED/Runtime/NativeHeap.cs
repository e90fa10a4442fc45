using System.Runtime.InteropServices;

namespace Anomaly.ED.Runtime;

/// <summary>
/// Hands the native heap's free pages back to the system during training (glibc's <c>malloc_trim</c>), so that a
/// long training run keeps the resident memory of its live tensors instead of its heap's high-water mark.
/// </summary>
/// <remarks>
/// ED's training frees blocks of one to a few megabytes by the thousand per step (attention blocks, activations,
/// gradients). glibc serves them from its heap once its mmap threshold has risen past them, and the heap's free space
/// fragments across steps: training at the reference configuration peaked at 4.6-5.1 GB resident where its live
/// tensors peak at 1.2 GB (docs/benchmarks.md). A fixed 1 MiB mmap threshold kept the peak at 1.25 GB but made every
/// such block a fresh mapping, which slowed training 1.6 times and batch prediction twice; trimming once per step keeps
/// the heap's reuse within a step. Within one level's step the heap still grew by up to 1.3 GB above what a 2 MiB mmap
/// threshold shows live (sampled between attention passes, mostly outside them); a release once it has grown by a bound
/// (<see cref="ReleaseFreedMemoryOver"/>) caps that. Linux with glibc only: elsewhere it does nothing.
/// </remarks>
internal static partial class NativeHeap
{
    private static volatile bool unavailable = !OperatingSystem.IsLinux();
    private static long residentAfterRelease;

    /// <summary>Returns the heap's free pages to the system; a few milliseconds for a heap of some gigabytes.</summary>
    public static void ReleaseFreedMemory()
    {
        if (unavailable)
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
            Interlocked.Exchange(ref residentAfterRelease, ResidentBytes());
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A libc without malloc_trim (musl): its allocator returns freed memory by itself.
            unavailable = true;
        }
    }

    /// <summary>
    /// Returns the heap's free pages when resident memory has grown by more than <paramref name="growthBytes"/> since the
    /// last release: for points inside a training step, where an unconditional release would make the pages that the
    /// step reuses fault in again (1.1-1.4 times the step's time when done at every attention block).
    /// </summary>
    /// <param name="growthBytes">The growth that triggers a release.</param>
    public static void ReleaseFreedMemoryOver(long growthBytes)
    {
        if (!unavailable && ResidentBytes() - Interlocked.Read(ref residentAfterRelease) > growthBytes)
        {
            ReleaseFreedMemory();
        }
    }

    // /proc/self/statm: sizes in pages, the second one resident.
    private static long ResidentBytes()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}

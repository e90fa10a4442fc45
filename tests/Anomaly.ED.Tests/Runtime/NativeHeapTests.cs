using System.Runtime.InteropServices;
using Anomaly.ED.Runtime;
using Anomaly.ED.Tests.Reliability;

namespace Anomaly.ED.Tests.Runtime;

// It reads the process's resident memory, so it runs alone, as the other process measurements do.
[Collection(ProcessMeasurementCollection.Name)]
public sealed class NativeHeapTests
{
    private const int BlockBytes = 100 * 1024;
    private const int Blocks = 640;

    [Fact]
    public void Releasing_freed_memory_returns_free_heap_pages_to_the_system()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        WithFreedHeapBlocks(() =>
        {
            var before = ResidentBytes();
            NativeHeap.ReleaseFreedMemory();
            var after = ResidentBytes();
            (before - after).Should().BeGreaterThan(Blocks * (long)BlockBytes / 2, $"resident {before / 1048576} MB before, {after / 1048576} MB after");
        });
    }

    [Fact]
    public void Releasing_over_a_growth_waits_until_resident_memory_has_grown_that_much()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        WithFreedHeapBlocks(() =>
        {
            var before = ResidentBytes();
            NativeHeap.ReleaseFreedMemoryOver(1L << 40);
            var kept = ResidentBytes();
            NativeHeap.ReleaseFreedMemoryOver(Blocks * (long)BlockBytes / 4);
            var after = ResidentBytes();
            (before - kept).Should().BeLessThan(Blocks * (long)BlockBytes / 4, $"resident {before / 1048576} MB before, {kept / 1048576} MB after a growth below the bound");
            (kept - after).Should().BeGreaterThan(Blocks * (long)BlockBytes / 2, $"resident {kept / 1048576} MB before, {after / 1048576} MB after a growth past the bound");
        });
    }

    // 64 MB of blocks below glibc's mmap threshold (so from the heap), written to, then freed between blocks of the same
    // size still in use: no freed block borders the top of its heap, so free() cannot give it back, and its pages stay
    // resident until they are released (whichever arena the test thread uses). The pins are as large as the blocks because
    // small pins came from free lists that earlier tests left anywhere in the heap, not from between the blocks, and then
    // the freed blocks merged into the top and were returned by free() itself (a clean CI run failed so).
    private static void WithFreedHeapBlocks(Action check)
    {
        // The other tests of this process leave managed garbage and free heap pages behind: collect and release both
        // first, so that the resident size moves by these blocks only.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        NativeHeap.ReleaseFreedMemory();
        var blocks = new IntPtr[Blocks];
        var pins = new IntPtr[Blocks];
        for (var i = 0; i < Blocks; i++)
        {
            blocks[i] = Libc.Malloc(BlockBytes);
            pins[i] = Libc.Malloc(BlockBytes);
        }

        try
        {
            var ones = Enumerable.Repeat((byte)1, BlockBytes).ToArray();
            foreach (var block in blocks)
            {
                Marshal.Copy(ones, 0, block, BlockBytes);
            }

            foreach (var block in blocks)
            {
                Libc.Free(block);
            }

            check();
        }
        finally
        {
            foreach (var pin in pins)
            {
                Libc.Free(pin);
            }
        }
    }

    private static long ResidentBytes() =>
        long.Parse(File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;

    private static class Libc
    {
        [DllImport("libc", EntryPoint = "malloc")]
        public static extern IntPtr Malloc(nuint size);

        [DllImport("libc", EntryPoint = "free")]
        public static extern void Free(IntPtr block);
    }
}

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

        // 64 MB of blocks below glibc's mmap threshold (so from the heap), written to, then freed below a block still in
        // use: free() cannot shrink the heap past that block, so the pages stay resident until they are released.
        var blocks = Enumerable.Range(0, Blocks).Select(_ => Libc.Malloc(BlockBytes)).ToArray();
        var pin = Libc.Malloc(64);
        try
        {
            foreach (var block in blocks)
            {
                Marshal.Copy(new byte[BlockBytes].Select(_ => (byte)1).ToArray(), 0, block, BlockBytes);
            }

            foreach (var block in blocks)
            {
                Libc.Free(block);
            }

            var before = ResidentBytes();
            NativeHeap.ReleaseFreedMemory();
            var after = ResidentBytes();
            (before - after).Should().BeGreaterThan(Blocks * (long)BlockBytes / 2, $"resident {before / 1048576} MB before, {after / 1048576} MB after");
        }
        finally
        {
            Libc.Free(pin);
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

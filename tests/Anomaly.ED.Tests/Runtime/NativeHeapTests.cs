using Anomaly.ED.Runtime;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Runtime;

public sealed class NativeHeapTests
{
    [Fact]
    public void AppliesExactlyWhereGlibcIsTheCLibraryAndTensorsStillWork()
    {
        var glibc = OperatingSystem.IsLinux() && File.ReadAllText("/proc/self/maps").Contains("libc.so.6", StringComparison.Ordinal);
        NativeHeap.RetainFreedMemory().Should().Be(glibc);

        using var scope = NewDisposeScope();
        var big = ones(8, 1024, 1024);
        (big * 2).sum().item<float>().Should().Be(2f * 8 * 1024 * 1024);
    }
}

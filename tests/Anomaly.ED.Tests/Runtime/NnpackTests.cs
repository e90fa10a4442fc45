using Anomaly.ED.Runtime;

namespace Anomaly.ED.Tests.Runtime;

public sealed class NnpackTests
{
    [Fact]
    public void BuildingADetectorTurnsNnpackOffForTheProcess()
    {
        // Only detector composition turns it off, so the flag is still on here unless a detector was built.
        using (new EdDetectorBuilder().WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(32)
            .WithLevels(["layer1"], [16]).WithNetwork(heads: 2, layers: 1).Build())
        {
        }

        if (OperatingSystem.IsWindows())
        {
            Nnpack.IsEnabled().Should().BeNull("libtorch's Windows builds have no NNPACK and no Itanium-mangled exports");
            return;
        }

        Nnpack.IsEnabled().Should().BeFalse("libtorch must not try NNPACK, which logs a warning at every convolution on CPUs it does not support");
    }
}

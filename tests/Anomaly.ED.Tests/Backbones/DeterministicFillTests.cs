using Anomaly.ED.Backbones;

namespace Anomaly.ED.Tests.Backbones;

public sealed class DeterministicFillTests
{
    [Fact]
    public void HashAndValueMatchTheReadmeExamples()
    {
        DeterministicFill.Hash(0, 0).Should().Be(0xE220A8397B1DCDAFUL);
        DeterministicFill.Uniform(DeterministicFill.Hash(0, 0)).Should().Be(0.7666215896606445);
        DeterministicFill.Hash(1, 0).Should().Be(0x6E789E6AA1B965F4UL);
        DeterministicFill.Uniform(DeterministicFill.Hash(1, 0)).Should().Be(-0.13694405555725098);
        DeterministicFill.Values("conv1.weight", [64, 3, 7, 7], 0, isBatchNorm: false)[0].Should().Be(0.15488096f);
    }
}

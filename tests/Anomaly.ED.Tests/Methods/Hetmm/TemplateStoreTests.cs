using Anomaly.ED.Methods.Hetmm;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Hetmm;

public sealed class TemplateStoreTests
{
    [Fact]
    public void LevelsAreContiguousPositionMajorCopiesWhicheverWayTheyWereFilled()
    {
        using var scope = NewDisposeScope();
        using var replaced = new TemplateStore(["layer1"], halfPrecision: false);
        using var added = new TemplateStore(["layer1"], halfPrecision: false);
        var all = randn(5, 3, 4, 6);
        replaced.Replace([all]);
        added.Add([all[..2]]);
        added.Add([all[2..]]);

        foreach (var store in new[] { replaced, added })
        {
            var level = store.Level(0);
            level.shape.Should().Equal(24, 5, 3);
            level.is_contiguous().Should().BeTrue("the matching reads each pixel's templates as one block");
            level.allclose(all.flatten(2).permute(2, 0, 1), rtol: 0, atol: 0).Should().BeTrue();
        }

        all.add_(1);
        replaced.Level(0).allclose(added.Level(0), rtol: 0, atol: 0).Should().BeTrue("the store holds copies, not views of the caller's tensor");
        replaced.Level(0).allclose(all.flatten(2).permute(2, 0, 1), rtol: 0, atol: 0).Should().BeFalse();
    }
}

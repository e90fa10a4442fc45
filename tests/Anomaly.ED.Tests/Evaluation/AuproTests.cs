using Anomaly.ED.Evaluation;

namespace Anomaly.ED.Tests.Evaluation;

public sealed class AuproTests
{
    [Fact]
    public void PerfectMapScoresOne()
    {
        var (map, mask) = Square(8, 2, 2, 3);
        Aupro.Compute(map, mask, 8, 8).Should().BeApproximately(1.0, 1e-12);
    }

    [Fact]
    public void RegionsAreWeightedEquallyWhateverTheirSize()
    {
        // A 1-pixel region found first and a 9-pixel region found only with every normal pixel:
        // the curve is (0,0), (0,0.5), (1,1); cut at FPR 0.3 the area is 0.3 * (0.5 + 0.65) / 2, normalised 0.575.
        const int size = 10;
        var mask = new bool[size * size];
        var map = new float[size * size];
        mask[0] = true;
        map[0] = 1f;
        for (var y = 5; y < 8; y++)
        {
            for (var x = 5; x < 8; x++)
            {
                mask[y * size + x] = true;
            }
        }

        var result = Aupro.Compute(map, mask, size, size, 0.3);
        result.Should().BeApproximately(0.575, 1e-12);
    }

    [Fact]
    public void DiagonalNeighboursFormOneRegion()
    {
        var mask = new bool[16];
        mask[0] = true;
        mask[5] = true;
        var labels = new int[16];
        ConnectedRegions.Label(mask, 4, 4, labels).Should().Equal(2);
    }

    [Fact]
    public void RejectsInconsistentSizesAndMissingClasses()
    {
        var act = () => Aupro.Compute(new float[10], new bool[10], 3, 3);
        act.Should().Throw<ArgumentException>().WithMessage("*3x3*");
        var noDefect = () => Aupro.Compute(new float[9], new bool[9], 3, 3);
        noDefect.Should().Throw<ArgumentException>().WithMessage("*defective and normal*");
        var badLimit = () => Aupro.Compute(new float[9], new bool[9], 3, 3, 0);
        badLimit.Should().Throw<ArgumentOutOfRangeException>();
    }

    private static (float[] Map, bool[] Mask) Square(int size, int top, int left, int side)
    {
        var map = new float[size * size];
        var mask = new bool[size * size];
        for (var y = top; y < top + side; y++)
        {
            for (var x = left; x < left + side; x++)
            {
                mask[y * size + x] = true;
                map[y * size + x] = 1f;
            }
        }

        return (map, mask);
    }
}

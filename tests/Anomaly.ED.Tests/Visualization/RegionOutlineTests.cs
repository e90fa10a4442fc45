using Anomaly.ED.Visualization;

namespace Anomaly.ED.Tests.Visualization;

public sealed class RegionOutlineTests
{
    [Fact]
    public void OutlineIsExactlyTheRegionPixelsWithAFourNeighbourOutside()
    {
        const int height = 23, width = 31;
        var region = RandomBlobs(height, width, seed: 7);
        var outline = RegionOutline.Find(region, height, width, thickness: 1);
        outline.Count(o => o).Should().BeGreaterThan(20, "the test region has several blobs");
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var onBoundary = region[i] && (!Inside(region, height, width, y - 1, x) || !Inside(region, height, width, y + 1, x)
                    || !Inside(region, height, width, y, x - 1) || !Inside(region, height, width, y, x + 1));
                outline[i].Should().Be(onBoundary, $"pixel ({y}, {x}) is {(onBoundary ? string.Empty : "not ")}on the boundary");
            }
        }
    }

    [Fact]
    public void ThickOutlineIsTheBandWithinThatManySteps()
    {
        const int height = 17, width = 19;
        var region = RandomBlobs(height, width, seed: 3);
        var outline = RegionOutline.Find(region, height, width, thickness: 3);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var expected = region[(y * width) + x] && CityBlockDistanceToOutside(region, height, width, y, x) <= 3;
                outline[(y * width) + x].Should().Be(expected, $"pixel ({y}, {x})");
            }
        }
    }

    [Fact]
    public void RegionTouchingTheBorderIsClosedThere()
    {
        var full = Enumerable.Repeat(true, 4 * 5).ToArray();
        var outline = RegionOutline.Find(full, 4, 5, thickness: 1);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 5; x++)
            {
                outline[(y * 5) + x].Should().Be(y is 0 or 3 || x is 0 or 4, $"pixel ({y}, {x})");
            }
        }

        RegionOutline.Find(new bool[6], 2, 3, 1).Should().OnlyContain(o => !o, "an empty region has no outline");
    }

    internal static bool[] RandomBlobs(int height, int width, int seed)
    {
        var random = new Random(seed);
        var region = new bool[height * width];
        for (var blob = 0; blob < 4; blob++)
        {
            int cy = random.Next(height), cx = random.Next(width), r = random.Next(2, 6);
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    if (((y - cy) * (y - cy)) + ((x - cx) * (x - cx)) <= r * r)
                    {
                        region[(y * width) + x] = true;
                    }
                }
            }
        }

        return region;
    }

    private static bool Inside(bool[] region, int height, int width, int y, int x)
        => y >= 0 && y < height && x >= 0 && x < width && region[(y * width) + x];

    private static int CityBlockDistanceToOutside(bool[] region, int height, int width, int y0, int x0)
    {
        var best = int.MaxValue;
        for (var y = -1; y <= height; y++)
        {
            for (var x = -1; x <= width; x++)
            {
                if (!Inside(region, height, width, y, x))
                {
                    best = Math.Min(best, Math.Abs(y - y0) + Math.Abs(x - x0));
                }
            }
        }

        return best;
    }
}

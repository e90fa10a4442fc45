using Anomaly.ED.Evaluation;

namespace Anomaly.ED.Tests.Evaluation;

public sealed class FloatRadixSortTests
{
    public static TheoryData<string> Sets => ["mixed", "one exponent", "ties", "specials", "empty", "single"];

    [Theory]
    [MemberData(nameof(Sets))]
    public void SortsAsArraySortDoes(string set)
    {
        var keys = Scores(set, 5_000);
        var expected = (float[])keys.Clone();
        Array.Sort(expected);

        FloatRadixSort.Sort(keys);

        // == rather than bitwise: -0 and +0 are equal scores and either order of them is a sorted order.
        keys.Should().HaveCount(expected.Length);
        for (var i = 0; i < keys.Length; i++)
        {
            (keys[i] == expected[i]).Should().BeTrue($"position {i} holds {keys[i]} where a sort gives {expected[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void ItemsFollowTheirKeysAndEqualKeysKeepTheirOrder(string set)
    {
        var keys = Scores(set, 5_000);
        var original = (float[])keys.Clone();
        var items = Enumerable.Range(0, keys.Length).Select(i => (double)i).ToArray();

        FloatRadixSort.Sort(keys, items);

        for (var i = 0; i < keys.Length; i++)
        {
            var from = (int)items[i];
            BitConverter.SingleToInt32Bits(keys[i]).Should().Be(BitConverter.SingleToInt32Bits(original[from]), $"item {from} must travel with its key");
            if (i > 0)
            {
                keys[i - 1].Should().BeLessThanOrEqualTo(keys[i]);
                if (keys[i - 1] == keys[i] && BitConverter.SingleToInt32Bits(keys[i - 1]) == BitConverter.SingleToInt32Bits(keys[i]))
                {
                    items[i - 1].Should().BeLessThan(items[i], "equal keys keep their order");
                }
            }
        }
    }

    [Fact]
    public void RejectsItemsOfAnotherLength()
    {
        var act = () => FloatRadixSort.Sort(new float[3], new double[2]);

        act.Should().Throw<ArgumentException>().WithMessage("2 items for 3 keys.*");
    }

    private static float[] Scores(string set, int count)
    {
        var random = new Random(7);
        return set switch
        {
            "mixed" => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 8))))],
            // Scores in [1, 2) share their sign and exponent byte, so the top pass is skipped.
            "one exponent" => [.. Enumerable.Range(0, count).Select(_ => 1f + (float)random.NextDouble())],
            "ties" => [.. Enumerable.Range(0, count).Select(_ => random.Next(-3, 4) * 0.25f)],
            "specials" =>
            [
                .. Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()),
                0f, -0f, 0f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue,
                float.PositiveInfinity, float.NegativeInfinity, 1e-40f, -1e-40f,
            ],
            "empty" => [],
            "single" => [-2.5f],
            _ => throw new ArgumentOutOfRangeException(nameof(set)),
        };
    }
}

using Anomaly.ED.Methods.Hetmm;

namespace Anomaly.ED.Tests.Methods.Hetmm;

public sealed class OpticsClusteringTests
{
    [Theory]
    [MemberData(nameof(PtsParityCase.Names), MemberType = typeof(PtsParityCase))]
    public void LabelsEqualScikitLearnOptics(string name)
    {
        var parity = PtsParityCase.Get(name);
        var optics = new OpticsClustering(parity.N);
        var minSamples = PatchTemplateSelection.MinSamples(parity.N, parity.Sheets);
        for (var p = 0; p < parity.H * parity.W; p++)
        {
            var labels = new int[parity.N];
            var clusters = optics.Cluster(parity.Similarity(p), parity.N, minSamples, labels);

            labels.Should().Equal(parity.Labels[p], $"position {p} of {name}");
            clusters.Should().Be(parity.Labels[p].Max() + 1);
        }
    }

    [Fact]
    public void SeparatedGroupsBecomeClusters()
    {
        // Three groups of four unit vectors around orthogonal axes, interleaved by index.
        const int n = 12;
        var vectors = new double[n][];
        for (var i = 0; i < n; i++)
        {
            var v = new double[4];
            v[i % 3] = 1;
            v[3] = 0.05 * (i / 3);
            vectors[i] = Normalise(v);
        }

        var labels = new int[n];
        var clusters = new OpticsClustering(n).Cluster(Gram(vectors), n, 3, labels);

        clusters.Should().Be(3);
        for (var i = 0; i < n; i++)
        {
            labels[i].Should().Be(labels[i % 3], $"template {i} lies in the group of template {i % 3}");
        }

        labels.Take(3).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void ReusedBuffersGiveTheSameLabels()
    {
        var parity = PtsParityCase.Get("clusters-n40-k8");
        var optics = new OpticsClustering(64);
        var first = new int[parity.N];
        var again = new int[parity.N];
        optics.Cluster(parity.Similarity(0), parity.N, 5, first);
        optics.Cluster(parity.Similarity(1), parity.N, 5, new int[parity.N]);
        optics.Cluster(parity.Similarity(0), parity.N, 5, again);

        again.Should().Equal(first);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(5, 2)]
    [InlineData(4, 1)]
    [InlineData(4, 5)]
    public void InvalidSizesAreRejected(int count, int minSamples)
    {
        var optics = new OpticsClustering(4);
        var act = () => optics.Cluster(new double[25], count, minSamples, new int[5]);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    internal static double[] Normalise(double[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    internal static double[] Gram(double[][] vectors)
    {
        var n = vectors.Length;
        var gram = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                gram[i * n + j] = vectors[i].Zip(vectors[j], (a, b) => a * b).Sum();
            }
        }

        return gram;
    }
}

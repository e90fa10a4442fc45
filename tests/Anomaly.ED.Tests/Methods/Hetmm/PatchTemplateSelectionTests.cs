using Anomaly.ED.Methods.Hetmm;
using Anomaly.ED.Tests.TestSupport;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Hetmm;

public sealed class PatchTemplateSelectionTests
{
    [Theory]
    [MemberData(nameof(PtsParityCase.Names), MemberType = typeof(PtsParityCase))]
    public void SelectionEqualsTheReference(string name)
    {
        var parity = PtsParityCase.Get(name);
        using var scope = NewDisposeScope();
        var templates = tensor(parity.Templates, new long[] { parity.N, parity.C, parity.H, parity.W });

        var chosen = PatchTemplateSelection.Select(templates, parity.Sheets);

        var kept = Math.Min(parity.Sheets, parity.N);
        chosen.shape.Should().Equal(kept, parity.C, parity.H, parity.W);
        var flat = templates.reshape(parity.N, parity.C, parity.H * parity.W);
        var result = chosen.reshape(kept, parity.C, parity.H * parity.W);
        for (var p = 0; p < parity.H * parity.W; p++)
        {
            parity.Selected[p].Should().HaveCount(kept, "the reference fills min(sheets, N) sheets with templates");
            for (var k = 0; k < kept; k++)
            {
                TensorAssert.Equal(result[k, .., p], flat[parity.Selected[p][k], .., p], $"{name}: sheet {k} at position {p}");
            }
        }
    }

    [Fact]
    public void ClusterMedoidsComeFirstThenTheLeastSimilar()
    {
        // Unit vectors at angles (degrees) 0, 10, 20 (one cluster), 100, 200 (noise).
        var similarity = CircleGram(0, 10, 20, 100, 200);
        var selected = new int[5];

        PatchTemplateSelection.PickTemplates(similarity, 5, [0, 0, 0, -1, -1], new PatchTemplateSelection.Workspace(5), selected);

        // Medoid 10; least similar to {10}: 200; to {10, 200}: 100 (-0.17 against -0.02 and 0.05); then 0 (-0.13 against 0.16).
        selected.Should().Equal(1, 4, 3, 0, 2);
    }

    [Fact]
    public void EveryClusterContributesItsMedoidInOrderOfItsFirstMember()
    {
        // Cluster 1 holds 0, 1, 2 (medoid 1); cluster 0 holds 3, 4, 5 (medoid 4): cluster 1 is met first.
        var similarity = CircleGram(0, 5, 10, 90, 95, 100, 220);
        var selected = new int[3];

        PatchTemplateSelection.PickTemplates(similarity, 7, [1, 1, 1, 0, 0, 0, -1], new PatchTemplateSelection.Workspace(7), selected);

        selected.Should().Equal(1, 4, 6);
    }

    [Fact]
    public void MoreClustersThanSheetsKeepsTheFirstClusters()
    {
        var similarity = CircleGram(0, 5, 10, 90, 95, 100, 180, 185, 190);
        var selected = new int[2];

        PatchTemplateSelection.PickTemplates(similarity, 9, [2, 2, 2, 0, 0, 0, 1, 1, 1], new PatchTemplateSelection.Workspace(9), selected);

        selected.Should().Equal(1, 4);
    }

    [Fact]
    public void WithoutClustersTheGlobalMedoidComesFirst()
    {
        var rng = new Random(7);
        var vectors = Enumerable.Range(0, 9).Select(_ => OpticsClusteringTests.Normalise([.. Enumerable.Range(0, 5).Select(_ => rng.NextDouble() - 0.3)])).ToArray();
        var similarity = OpticsClusteringTests.Gram(vectors);
        var selected = new int[4];

        PatchTemplateSelection.PickTemplates(similarity, 9, Enumerable.Repeat(-1, 9).ToArray(), new PatchTemplateSelection.Workspace(9), selected);

        var sums = Enumerable.Range(0, 9).Select(i => Enumerable.Range(0, 9).Sum(j => similarity[i * 9 + j])).ToArray();
        selected[0].Should().Be(Array.IndexOf(sums, sums.Max()));
        selected.Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void GreedyFillingTakesTheTemplateLeastSimilarToThoseChosen()
    {
        var rng = new Random(11);
        const int n = 15;
        var vectors = Enumerable.Range(0, n).Select(_ => OpticsClusteringTests.Normalise([.. Enumerable.Range(0, 6).Select(_ => rng.NextDouble() - 0.5)])).ToArray();
        var similarity = OpticsClusteringTests.Gram(vectors);
        int[] labels = [-1, 0, 0, 0, -1, -1, 1, 1, 1, -1, -1, -1, -1, -1, -1];
        var selected = new int[10];

        PatchTemplateSelection.PickTemplates(similarity, n, labels, new PatchTemplateSelection.Workspace(n), selected);

        for (var k = 2; k < selected.Length; k++)
        {
            var chosen = selected.Take(k).ToArray();
            var candidates = Enumerable.Range(0, n).Where(i => !chosen.Contains(i));
            var expected = candidates.MinBy(i => chosen.Sum(j => similarity[i * n + j]));
            selected[k].Should().Be(expected, $"sheet {k} is the candidate least similar to sheets 0..{k - 1}");
        }
    }

    [Fact]
    public void EveryPositionGetsKDistinctTemplatesOfItsOwn()
    {
        using var scope = NewDisposeScope();
        var templates = RandomTemplates(30, 8, 3, 5, seed: 3);

        var chosen = PatchTemplateSelection.Select(templates, 7);

        chosen.shape.Should().Equal(7, 8, 3, 5);
        chosen.dtype.Should().Be(ScalarType.Float32);
        var flat = templates.reshape(30, 8, 15);
        var result = chosen.reshape(7, 8, 15);
        for (var p = 0; p < 15; p++)
        {
            // Each sheet equals exactly one template at that position; no template twice.
            var sources = Enumerable.Range(0, 7).Select(k =>
                Enumerable.Range(0, 30).Single(i => (result[k, .., p] == flat[i, .., p]).all().item<bool>())).ToArray();
            sources.Should().OnlyHaveUniqueItems($"position {p}");
        }
    }

    [Fact]
    public void MoreSheetsThanTemplatesKeepsEveryTemplate()
    {
        using var scope = NewDisposeScope();
        var templates = RandomTemplates(6, 4, 2, 2, seed: 5);

        var chosen = PatchTemplateSelection.Select(templates, 20);

        chosen.shape.Should().Equal(6, 4, 2, 2);
        TensorAssert.Equal(chosen.sort(0).Values, templates.sort(0).Values, "all six templates, in some order");
    }

    [Fact]
    public void OneTemplateIsKept()
    {
        using var scope = NewDisposeScope();
        var templates = RandomTemplates(1, 4, 2, 3, seed: 9);

        TensorAssert.Equal(PatchTemplateSelection.Select(templates, 3), templates, "the single template");
    }

    [Fact]
    public void RunsAreDeterministicAndReportProgress()
    {
        using var scope = NewDisposeScope();
        var templates = RandomTemplates(40, 16, 6, 6, seed: 13);
        var progress = new RecordingProgress();

        var first = PatchTemplateSelection.Select(templates, 9, progress);
        var second = PatchTemplateSelection.Select(templates, 9);

        TensorAssert.Equal(second, first, "second run");
        progress.Values.Should().NotBeEmpty().And.BeInAscendingOrder();
        progress.Values[^1].Should().Be(36);
    }

    [Fact]
    public void MinSamplesFollowsScikitLearnReadingOfTheReferencesQuotient()
    {
        PatchTemplateSelection.MinSamples(200, 60).Should().Be(3);
        PatchTemplateSelection.MinSamples(200, 150).Should().Be(200, "N // K = 1 is the fraction 1.0 of the samples");
        PatchTemplateSelection.MinSamples(20, 30).Should().Be(2, "N // K = 0 is rounded up to 2");
        PatchTemplateSelection.MinSamples(20, 1).Should().Be(20);
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        using var scope = NewDisposeScope();

        FluentActions.Invoking(() => PatchTemplateSelection.Select(zeros(3, 4, 4), 2))
            .Should().Throw<ArgumentException>().WithMessage("*4-D*");
        FluentActions.Invoking(() => PatchTemplateSelection.Select(zeros(new long[] { 3, 4, 2, 2 }, ScalarType.Float64), 2))
            .Should().Throw<ArgumentException>().WithMessage("*float32*");
        FluentActions.Invoking(() => PatchTemplateSelection.Select(zeros(0, 4, 2, 2), 2))
            .Should().Throw<ArgumentException>().WithMessage("*at least one template*");
        FluentActions.Invoking(() => PatchTemplateSelection.Select(RandomTemplates(3, 4, 2, 2, seed: 1), 0))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("sheets");
    }

    [Fact]
    public void CancellationStopsTheSelection()
    {
        using var scope = NewDisposeScope();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        FluentActions.Invoking(() => PatchTemplateSelection.Select(RandomTemplates(10, 4, 2, 2, seed: 2), 3, cancellationToken: cancellation.Token))
            .Should().Throw<OperationCanceledException>();
    }

    private static Tensor RandomTemplates(int n, int c, int h, int w, int seed)
    {
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        return nn.functional.normalize(randn(new long[] { n, c, h, w }, generator: generator), dim: 1);
    }

    private static double[] CircleGram(params double[] degrees)
    {
        var vectors = degrees.Select(d => new[] { Math.Cos(d * Math.PI / 180), Math.Sin(d * Math.PI / 180) }).ToArray();
        return OpticsClusteringTests.Gram(vectors);
    }

    private sealed class RecordingProgress : IProgress<int>
    {
        public List<int> Values { get; } = [];

        public void Report(int value) => Values.Add(value);
    }
}

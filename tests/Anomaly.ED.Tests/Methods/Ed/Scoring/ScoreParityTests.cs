using Anomaly.ED.Methods.Ed.Scoring;
using Anomaly.ED.Scoring;
using Anomaly.ED.Tests.Methods.Ed.Network;
using Anomaly.ED.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Ed.Scoring;

/// <summary>Per-token test-time scores against golden/model.</summary>
public sealed class ScoreParityTests(ITestOutputHelper output)
{
    public static TheoryData<string, int> FilesAndBlocks => NetworkParityTests.FilesAndBlocks;

    [Theory]
    [MemberData(nameof(FilesAndBlocks))]
    public void Scores_match(string file, int rowsPerBlock)
    {
        using var blocks = NetworkParityTests.Blocks(rowsPerBlock);
        using var golden = ModelGoldenFile.Copied(file, output);
        using var network = golden.CreateNetwork();
        network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (suffix, input) in new[] { ("x", golden.Read("x")[0..1]), ("x2", golden.Read("x2")) })
        {
            using var result = network.call(input);
            using var scores = EdTokenScorer.Compute(result, input);
            golden.AssertMatches(scores.Reconstruction, "score.rec." + suffix);
            golden.AssertMatches(scores.IntraCorrelations!, "score.intra_corrs." + suffix);
            golden.AssertMatches(scores.InterCorrelations!, "score.inter_corrs." + suffix);
            golden.AssertMatches(scores.Intra!, "score.intra." + suffix);
            golden.AssertMatches(scores.Inter!, "score.inter." + suffix);
            golden.AssertMatches(scores.Final, "score.final." + suffix);
        }
    }

    [Fact]
    public void A_batch_is_scored_image_by_image()
    {
        using var golden = ModelGoldenFile.Copied("ed_small");
        using var network = golden.CreateNetwork();
        network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = cat([golden.Read("x")[0..1], golden.Read("x2")], 0);
        using var result = network.call(batch);
        using var scores = EdTokenScorer.Compute(result, batch);
        scores.Final.shape.Should().Equal(2, 64);
        TensorAssert.AllClose(scores.Final[0..1], golden.Read("score.final.x"), 5e-6, 1e-4, "batch image 0");
        TensorAssert.AllClose(scores.Final[1..2], golden.Read("score.final.x2"), 5e-6, 1e-4, "batch image 1");
    }
}

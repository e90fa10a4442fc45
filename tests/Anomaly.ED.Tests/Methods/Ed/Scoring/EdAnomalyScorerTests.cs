using Anomaly.ED.Backbones;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Methods.Ed.Scoring;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Scoring;
using Anomaly.ED.Tests.TestSupport;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Ed.Scoring;

public sealed class EdAnomalyScorerTests
{
    [Theory]
    [InlineData(AnomalyScoreKind.ReconstructionTimesInter)]
    [InlineData(AnomalyScoreKind.ReconstructionTimesIntra)]
    [InlineData(AnomalyScoreKind.Reconstruction)]
    public void ScoringOnlyTheUsedBranchEqualsTheFullScores(AnomalyScoreKind kind)
    {
        using var scope = NewDisposeScope();
        using var network = new EdLevelNetwork(EdLevelOptions.Ed(4, 5, 8, 16, heads: 2, layers: 2));
        network.SetReferenceFeatures(rand(8, 20));
        network.eval();
        var map = rand(2, 8, 4, 5);
        using var features = new FeatureMaps([new FeatureStage("layer2", 8, 8)], [map]);

        var grids = new EdAnomalyScorer([network], kind).ScoreLevels(features);

        using var noGrad = no_grad();
        var tokens = FeatureTokens.FromFeatureMap(map);
        using var output = network.call(tokens);
        using var full = EdTokenScorer.Compute(output, tokens);
        var expected = kind switch
        {
            AnomalyScoreKind.ReconstructionTimesInter => full.Reconstruction * full.Inter!,
            AnomalyScoreKind.ReconstructionTimesIntra => full.Reconstruction * full.Intra!,
            _ => full.Reconstruction,
        };
        TensorAssert.AllClose(grids[0], expected.reshape(2, 4, 5), 0, 0, kind.ToString());
    }
}

using Anomaly.ED.Methods.Ed;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Export;

/// <summary>
/// The exported ED and FOD graphs, run by ONNX Runtime on CPU, against the library on the same resized images: the map
/// within 1e-4 of its range, the score within 1e-5 relative, the calibrated outputs and decisions, and a batch of four
/// equal to four batches of one.
/// </summary>
public sealed class EdOnnxExportTests(EdExportFixture fixture, ITestOutputHelper log) : IClassFixture<EdExportFixture>
{
    public static TheoryData<string> Configurations => ["ed", "fod-64x48", "ed-intra-bias-outprojection", "ed-reconstruction-sigma2"];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void TheExportedGraphPredictsWhatTheLibraryPredicts(string configuration)
    {
        using var detector = Builder(configuration).Build();
        detector.Fit(fixture.Training);
        OnnxParity.AssertExportMatchesLibrary(detector.Model, fixture.Test, fixture.NewTempPath("model.onnx"), log, configuration);
    }

    private static EdDetectorBuilder Builder(string configuration) => configuration switch
    {
        "ed" => EdExportFixture.NewBuilder(),
        "fod-64x48" => EdExportFixture.NewBuilder().UseFod().WithImageSize(64, 48).WithNetwork(heads: 2, layers: 1),
        "ed-intra-bias-outprojection" => EdExportFixture.NewBuilder().WithNetwork(heads: 2, layers: 1).WithRelativePositionBias().UseOutProjection()
            .WithScoring(AnomalyScoreKind.ReconstructionTimesIntra),
        "ed-reconstruction-sigma2" => EdExportFixture.NewBuilder().WithNetwork(heads: 4, layers: 1).WithScoring(AnomalyScoreKind.Reconstruction, smoothingSigma: 2),
        _ => throw new ArgumentOutOfRangeException(nameof(configuration), configuration, null),
    };
}

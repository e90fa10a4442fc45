using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Export;

/// <summary>The exported HETMM graph against the library: full and tiny (PTS) template sets, float16 templates, the
/// presets' blurred, clean and max-pool-mean post-processing.</summary>
public sealed class HetmmOnnxExportTests(EdExportFixture fixture, ITestOutputHelper log) : IClassFixture<EdExportFixture>
{
    public static TheoryData<string> Configurations => ["default-full", "pill-pts-float16", "carpet-reference-normalization"];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void TheExportedGraphPredictsWhatTheLibraryPredicts(string configuration)
    {
        using var detector = Builder(configuration).Build();
        detector.Fit(fixture.Training);
        OnnxParity.AssertExportMatchesLibrary(detector.Model, fixture.Test, fixture.NewTempPath("model.onnx"), log, configuration);
    }

    // resnet18 (untrained) at 64x64, pre-ReLU layer1 to layer3: 16x16, 8x8 and 4x4 grids.
    private static EdDetectorBuilder Builder(string configuration)
    {
        var builder = EdExportFixture.NewBuilder();
        return configuration switch
        {
            "default-full" => builder.UseHetmm().WithBackbone("resnet18"),
            "pill-pts-float16" => builder.UseHetmm("pill", templateSheets: 2).WithBackbone("resnet18").Configure(o => o.Hetmm!.HalfPrecisionTemplates = true),
            "carpet-reference-normalization" => builder.UseHetmm("carpet").WithBackbone("resnet18").Configure(o => o.Hetmm!.ReferenceNormalization = true),
            _ => throw new ArgumentOutOfRangeException(nameof(configuration), configuration, null),
        };
    }
}

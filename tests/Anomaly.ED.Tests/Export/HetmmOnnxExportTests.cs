using Anomaly.ED.Formats.Onnx;
using Anomaly.ED.Methods;
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

    [Fact]
    public void TheMatchingIsTiledOverPositions()
    {
        using var detector = Builder("default-full").Build();
        detector.Fit(fixture.Training);
        var path = fixture.NewTempPath("model.onnx");
        OnnxExporter.Export(detector.Model, path);

        // layer1's 16x16 grid with the default 9x9 window at a batch of 8 exceeds one tile (TemplateMatcher's 16 MB): its
        // products are split, and the parity theory above checks the seams between its tiles.
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;
        graph.Node.Count(n => n.OpType == "MatMul" && n.Output[0].StartsWith("level0/", StringComparison.Ordinal)).Should().BeGreaterThan(1);
        graph.Node.Count(n => n.OpType == "MatMul" && n.Output[0].StartsWith("level2/", StringComparison.Ordinal)).Should().Be(1, "layer3's 4x4 grid fits one tile");
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

using Anomaly.ED.Backbones;
using Anomaly.ED.Formats;
using Anomaly.ED.Methods.Hetmm;
using Anomaly.ED.Tests.TestSupport;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Hetmm;

/// <summary>HETMM matching, level combination and post-processing against golden/pipeline/hetmm_atmm.safetensors (README section 4, tolerances there).</summary>
public sealed class AtmmParityTests : IDisposable
{
    private const double MapTolerance = 1e-6;
    private const double BlurredTolerance = 5e-6;
    private const double KernelTolerance = 1e-7;
    private static readonly string[] Layers = ["layer1", "layer2", "layer3"];

    private readonly SafetensorsFile golden = SafetensorsFile.Open(GoldenData.Copied("pipeline/hetmm_atmm.safetensors"));

    public void Dispose() => golden.Dispose();

    [Fact]
    public void NormalisationEqualsReference()
    {
        using var scope = NewDisposeScope();
        TensorAssert.AllClose(AtmmScorer.Normalize(golden.ReadTensor("single.q_raw")), golden.ReadTensor("single.q"), MapTolerance, 0, "single.q");
        TensorAssert.AllClose(AtmmScorer.Normalize(golden.ReadTensor("single.T_raw")), golden.ReadTensor("single.T"), MapTolerance, 0, "single.T");
        foreach (var layer in Layers)
        {
            TensorAssert.AllClose(AtmmScorer.Normalize(golden.ReadTensor($"ml.q_raw.{layer}")), golden.ReadTensor($"ml.q.{layer}"), MapTolerance, 0, $"ml.q.{layer}");
        }
    }

    [Theory]
    [InlineData("fwd", 5)]
    [InlineData("fwd", 3)]
    [InlineData("bwd", 3)]
    [InlineData("bwd", 5)]
    public void EachTemplatesKernelOutputEqualsReference(string direction, int patch)
    {
        using var scope = NewDisposeScope();
        var expected = golden.ReadTensor($"single.{direction}_p{patch}");
        AssertPerTemplate(golden.ReadTensor("single.q"), golden.ReadTensor("single.T"), direction, patch, expected, $"single.{direction}_p{patch}");
    }

    [Theory]
    [InlineData("fwd")]
    [InlineData("bwd")]
    public void FloorOfMinusOneIsExact(string direction)
    {
        using var scope = NewDisposeScope();
        var expected = golden.ReadTensor($"floor.{direction}_p3");
        var actual = PerTemplate(golden.ReadTensor("floor.q"), golden.ReadTensor("floor.T"), direction, 3);
        TensorAssert.AllClose(actual, expected, MapTolerance, 0, $"floor.{direction}_p3");
        var floorEntries = expected.eq(-1);
        floorEntries.any().item<bool>().Should().BeTrue("the golden case has floored entries");
        actual.masked_select(floorEntries).eq(-1).all().item<bool>().Should().BeTrue("floored entries are exactly -1");
    }

    [Fact]
    public void MultiLevelKernelsEqualReference()
    {
        using var scope = NewDisposeScope();
        int[] forwardPatches = [5, 5, 7];
        for (var i = 0; i < Layers.Length; i++)
        {
            var q = golden.ReadTensor($"ml.q.{Layers[i]}");
            var t = golden.ReadTensor($"ml.T.{Layers[i]}");
            AssertPerTemplate(q, t, "fwd", forwardPatches[i], golden.ReadTensor($"ml.fwd_raw.{Layers[i]}"), $"ml.fwd_raw.{Layers[i]}");
            AssertPerTemplate(q, t, "bwd", 3, golden.ReadTensor($"ml.bwd_raw.{Layers[i]}"), $"ml.bwd_raw.{Layers[i]}");
        }
    }

    [Fact]
    public void SingleLevelGridsAndCombinationEqualReference()
    {
        using var scope = NewDisposeScope();
        var q = golden.ReadTensor("single.q");
        var (forward, backward) = TemplateMatcher.BestSimilarities(q, PositionMajor(golden.ReadTensor("single.T")), 5, 3);
        TensorAssert.AllClose((1 - forward).unsqueeze(1), golden.ReadTensor("single.fore_grid"), MapTolerance, 0, "single.fore_grid");
        TensorAssert.AllClose((1 - backward).unsqueeze(1), golden.ReadTensor("single.back_grid"), MapTolerance, 0, "single.back_grid");

        using var store = new TemplateStore(["layer1"], halfPrecision: false);
        store.Add([golden.ReadTensor("single.T")]);
        var scorer = new AtmmScorer(store, [new HetmmLevelParameters(5, 3, 0.3, 1)], TemplateMatcher.DefaultTileElements);
        var generator = new HetmmMapGenerator(48, 48, Configuration("L1:5x3_a=0.3_l=1;img_AUC:clean|pix_AUC:clean|PRO:clean"));
        using var maps = generator.Generate(scorer.ScoreLevels(Features(golden.ReadTensor("single.q_raw"))));
        TensorAssert.AllClose(maps.Combined.unsqueeze(1), golden.ReadTensor("single.combined"), MapTolerance, 0, "single.combined");
    }

    [Fact]
    public void LevelsFinalMapAndPostProcessingEqualReference()
    {
        using var scope = NewDisposeScope();
        var configuration = Configuration(golden.Metadata["preset"]);
        configuration.Levels.Should().Equal(new HetmmLevelParameters(5, 3, 0.3, 1), new HetmmLevelParameters(5, 3, 0.3, 1), new HetmmLevelParameters(7, 3, 0.3, 0.8));
        using var store = new TemplateStore(Layers, halfPrecision: false);
        store.Add(Layers.Select(l => AtmmScorer.Normalize(golden.ReadTensor($"ml.T_raw.{l}"))).ToArray());
        var scorer = new AtmmScorer(store, configuration.Levels, TemplateMatcher.DefaultTileElements);
        var grids = scorer.ScoreLevels(Features(Layers.Select(l => golden.ReadTensor($"ml.q_raw.{l}")).ToArray()));
        var generator = new HetmmMapGenerator(48, 48, configuration);
        for (var i = 0; i < Layers.Length; i++)
        {
            using var level = generator.Generate([grids[i]]);
            TensorAssert.AllClose(level.Combined.unsqueeze(1), golden.ReadTensor($"ml.level.{Layers[i]}"), MapTolerance, 0, $"ml.level.{Layers[i]}");
        }

        using var maps = generator.Generate(grids);
        TensorAssert.AllClose(maps.Combined.unsqueeze(1), golden.ReadTensor("ml.final"), MapTolerance, 0, "ml.final");
        TensorAssert.AllClose(maps.Smoothed, golden.ReadTensor("post.pix_AUC"), BlurredTolerance, 0, "post.pix_AUC");
        TensorAssert.AllClose(maps.ImageScores, golden.ReadTensor("post.img_AUC"), MapTolerance, 0, "post.img_AUC");
        TensorAssert.AllClose(HetmmMapGenerator.Filter(maps.Combined, configuration.RegionMap), golden.ReadTensor("post.PRO"), MapTolerance, 0, "post.PRO");
    }

    [Fact]
    public void BlurKernelAndMaxPoolMeansEqualReference()
    {
        using var scope = NewDisposeScope();
        TensorAssert.AllClose(HetmmMapGenerator.BlurKernel(4.1, 39), golden.ReadTensor("post.blur_kernel_s4.1_k39"), KernelTolerance, 0, "post.blur_kernel_s4.1_k39");
        var final = golden.ReadTensor("ml.final").squeeze(1);
        foreach (var k in new[] { 11, 25 })
        {
            TensorAssert.AllClose(HetmmMapGenerator.ImageScores(final, new MapFilter(MapFilterKind.MaxPoolMean, 0, k)), golden.ReadTensor($"post.mp_k{k}"), MapTolerance, 0, $"post.mp_k{k}");
        }
    }

    [Fact]
    public void TilingOverPixelsAndTemplatesGivesTheSameMaps()
    {
        using var scope = NewDisposeScope();
        var q = golden.ReadTensor("ml.q.layer1");
        var t = PositionMajor(golden.ReadTensor("ml.T.layer1"));
        var (forward, backward) = TemplateMatcher.BestSimilarities(q, t, 7, 3);
        var (tiledForward, tiledBackward) = TemplateMatcher.BestSimilarities(q, t, 7, 3, tileElements: 1);
        TensorAssert.Equal(tiledForward, forward, "forward, one row per tile");
        TensorAssert.Equal(tiledBackward, backward, "backward, one row per tile");
    }

    private static HetmmConfiguration Configuration(string text)
    {
        HetmmConfiguration.TryParse(text, out var configuration, out var error).Should().BeTrue(error);
        return configuration;
    }

    private static Anomaly.ED.Backbones.FeatureMaps Features(params Tensor[] maps) =>
        new(maps.Select((m, i) => new Anomaly.ED.Backbones.FeatureStage($"layer{i + 1}", (int)m.shape[1], 4 << i)).ToArray(), maps);

    private static Tensor PositionMajor(Tensor templates) => templates.flatten(2).permute(2, 0, 1).contiguous();

    // The reference kernels keep one map per template: match each template alone.
    private static Tensor PerTemplate(Tensor q, Tensor t, string direction, int patch)
    {
        var maps = new List<Tensor>();
        for (var k = 0; k < t.shape[0]; k++)
        {
            var (forward, backward) = TemplateMatcher.BestSimilarities(q, PositionMajor(t[k..(k + 1)]), patch, patch);
            maps.Add(direction == "fwd" ? forward : backward);
        }

        return stack(maps, 1);
    }

    private static void AssertPerTemplate(Tensor q, Tensor t, string direction, int patch, Tensor expected, string name) =>
        TensorAssert.AllClose(PerTemplate(q, t, direction, patch), expected, MapTolerance, 0, name);
}

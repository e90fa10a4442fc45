using Anomaly.ED.Backbones;
using Anomaly.ED.Formats;
using Anomaly.ED.Tests.TestSupport;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Backbones;

/// <summary>
/// Parity with golden/pipeline/backbone_*.safetensors: torchvision 0.14.1 ResNets whose weights follow the
/// deterministic fill rule, run on a fixed (2, 3, 64, 64) input.
/// </summary>
public sealed class ResNetGoldenParityTests
{
    private const double FeatureAtol = 1e-4;
    private const double FeatureRtol = 1e-4;
    private static readonly string[] Stages = ["stem", "layer1", "layer2", "layer3"];

    [Theory]
    [InlineData("resnet18")]
    [InlineData("wide_resnet50_2")]
    public void FillProbesMatchExactly(string arch)
    {
        using var golden = SafetensorsFile.Open(GoldenPath(arch));
        var k = golden.ReadArray<long>("fill_probe.k");
        var i = golden.ReadArray<long>("fill_probe.i");
        var z = golden.ReadArray<ulong>("fill_probe.z");
        var v = golden.ReadArray<double>("fill_probe.v");

        k.Should().HaveCount(7);
        for (var p = 0; p < k.Length; p++)
        {
            DeterministicFill.Hash(k[p], i[p]).Should().Be(z[p], $"z of probe (k={k[p]}, i={i[p]})");
            DeterministicFill.Uniform(z[p]).Should().Be(v[p], $"v of probe (k={k[p]}, i={i[p]})");
        }
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("wide_resnet50_2")]
    public void FeaturesMatchTheReference(string arch)
    {
        using var golden = SafetensorsFile.Open(GoldenPath(arch));
        using var post = ResNetFeatureExtractor.Create(arch, Stages);
        using var pre = ResNetFeatureExtractor.Create(arch, Stages, FeatureActivation.PreRelu);
        var checksums = DeterministicFill.Apply(post.Network);
        pre.Network.LoadStateDict(post.Network.state_dict());
        AssertChecksums(checksums, golden);

        using var scope = NewDisposeScope();
        var x = golden.ReadTensor("x");
        using var postMaps = post.Extract(x);
        using var preMaps = pre.Extract(x);

        TensorAssert.AllClose(postMaps["stem"], golden.ReadTensor("feat.stem"), FeatureAtol, FeatureRtol, $"{arch} feat.stem");
        foreach (var stage in Stages.Skip(1))
        {
            var feature = postMaps[stage];
            TensorAssert.AllClose(feature, golden.ReadTensor($"feat.{stage}"), FeatureAtol, FeatureRtol, $"{arch} feat.{stage}");
            TensorAssert.AllClose(preMaps[stage], golden.ReadTensor($"feat_prerelu.{stage}"), FeatureAtol, FeatureRtol, $"{arch} feat_prerelu.{stage}");
            var pooled = nn.functional.avg_pool2d(feature, [3, 3], [1, 1], [1, 1], count_include_pad: true);
            TensorAssert.AllClose(pooled, golden.ReadTensor($"pooled.{stage}"), FeatureAtol, FeatureRtol, $"{arch} pooled.{stage}");
        }
    }

    [Fact]
    public void FilledStateDictSavedAndLoadedThroughThePublicApiReproducesTheReference()
    {
        using var golden = SafetensorsFile.Open(GoldenPath("resnet18"));
        var file = Path.Combine(Path.GetTempPath(), $"anomaly-ed-resnet18-{Guid.NewGuid():N}.safetensors");
        try
        {
            var filled = DeterministicFill.StateDict("resnet18");
            try
            {
                SafetensorsWriter.Save(file, filled);
            }
            finally
            {
                foreach (var tensor in filled.Values)
                {
                    tensor.Dispose();
                }
            }

            using var full = new ResNet(BackboneCatalog.Get("resnet18"));
            full.LoadWeights(file);
            AssertChecksums(Checksums(full), golden);

            using var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer2", "layer3"]).LoadWeights(file);
            using var scope = NewDisposeScope();
            using var maps = extractor.Extract(golden.ReadTensor("x"));
            TensorAssert.AllClose(maps["layer2"], golden.ReadTensor("feat.layer2"), FeatureAtol, FeatureRtol, "resnet18 feat.layer2 (loaded)");
            TensorAssert.AllClose(maps["layer3"], golden.ReadTensor("feat.layer3"), FeatureAtol, FeatureRtol, "resnet18 feat.layer3 (loaded)");
        }
        finally
        {
            File.Delete(file);
        }
    }

    internal static string GoldenPath(string arch) => GoldenData.Copied($"pipeline/backbone_{arch}.safetensors");

    /// <summary>param_checksums rows of a loaded network: [sum, sum |x|, first, last] per filled entry, in order.</summary>
    private static double[,] Checksums(ResNet network)
    {
        var entries = network.OrderedStateDict().Where(e => !e.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToList();
        var result = new double[entries.Count, 4];
        for (var row = 0; row < entries.Count; row++)
        {
            var values = entries[row].Value.data<float>().ToArray();
            foreach (var value in values)
            {
                result[row, 0] += value;
                result[row, 1] += Math.Abs(value);
            }

            result[row, 2] = values[0];
            result[row, 3] = values[^1];
        }

        return result;
    }

    /// <summary>
    /// First and last elements must be bit-exact (they prove the fill); the float64 sums are compared to
    /// 1e-12 of the sum of magnitudes, because the reference's summation order (torch's vectorised
    /// reduction) is not reproducible element by element.
    /// </summary>
    private static void AssertChecksums(double[,] actual, SafetensorsFile golden)
    {
        var info = golden.GetInfo("param_checksums");
        var expected = golden.ReadArray<double>("param_checksums");
        var rows = (int)info.Shape[0];
        actual.GetLength(0).Should().Be(rows, "one checksum row per filled entry");
        for (var row = 0; row < rows; row++)
        {
            var sum = expected[row * 4];
            var sumAbs = expected[row * 4 + 1];
            actual[row, 2].Should().Be(expected[row * 4 + 2], $"first element of entry {row}");
            actual[row, 3].Should().Be(expected[row * 4 + 3], $"last element of entry {row}");
            actual[row, 0].Should().BeApproximately(sum, 1e-12 * Math.Max(sumAbs, 1), $"sum of entry {row}");
            actual[row, 1].Should().BeApproximately(sumAbs, 1e-12 * Math.Max(sumAbs, 1), $"sum of |x| of entry {row}");
        }
    }
}

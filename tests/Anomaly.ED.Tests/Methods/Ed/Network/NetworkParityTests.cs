using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Methods.Ed.Training;
using Anomaly.ED.Tests.TestSupport;
using Anomaly.ED.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Ed.Network;

/// <summary>The ED and FOD level networks against golden/model: state dict, fixed tables, reference features, forward passes.</summary>
public sealed class NetworkParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Files => new() { "ed_small", "ed_small_relpos", "fod_small" };

    /// <summary>Every file with the default blocking (0: one block at these sizes) and with blocks of 5 query rows (13 blocks, the last one short).</summary>
    public static TheoryData<string, int> FilesAndBlocks
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var file in new[] { "ed_small", "ed_small_relpos", "fod_small" })
            {
                data.Add(file, 0);
                data.Add(file, 5);
            }

            return data;
        }
    }

    /// <summary>Blocks of <paramref name="rows"/> query rows on this thread, or the default blocking for 0.</summary>
    internal static IDisposable? Blocks(int rows) => rows > 0 ? TiledAttention.UseRowsPerBlock(rows) : null;

    [Theory]
    [MemberData(nameof(Files))]
    public void State_dict_has_the_reference_names_shapes_and_values(string file)
    {
        using var golden = ModelGoldenFile.Copied(file, output);
        using var network = golden.CreateNetwork();
        using var scope = NewDisposeScope();
        var expected = golden.File.Tensors.Where(t => t.Name.StartsWith("param.", StringComparison.Ordinal))
            .ToDictionary(t => t.Name["param.".Length..], t => t.Shape.ToArray());
        var actual = network.state_dict();

        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, tensor) in actual)
        {
            tensor.shape.Should().Equal(expected[name], name);
            golden.AssertMatches(tensor, "param." + name);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Positional_tables_distances_and_offsets_match(string file)
    {
        using var golden = ModelGoldenFile.Copied(file, output);
        using var scope = NewDisposeScope();
        var o = golden.Options;
        var table = GridGeometry.PositionalTable(o.ModelDimension, o.GridHeight, o.GridWidth);
        golden.AssertMatches(table, "pos_embed.embedding");
        golden.AssertMatches(table, "pos_embed.ref_embedding");

        var (dy, dx) = GridGeometry.SquaredDistances(o.GridHeight, o.GridWidth);
        golden.AssertMatches(dy, "distances_y");
        golden.AssertMatches(dx, "distances_x");

        if (golden.File.Contains("attention_bias_idxs"))
        {
            golden.AssertMatches(GridGeometry.RelativeOffsetIndex(o.GridHeight, o.GridWidth), "attention_bias_idxs");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Reference_features_follow_the_pooling_rule(string file)
    {
        using var golden = ModelGoldenFile.Copied(file, output);
        using var scope = NewDisposeScope();
        var features = golden.Read("ref_train_feats");
        golden.AssertMatches(ReferenceFeatures.Compute(features), "ref_feats_raw");

        // Streaming in two batches gives the same mean.
        using var streaming = new ReferenceFeatures();
        streaming.Add(features[0..1]);
        streaming.Add(features[1..]);
        streaming.Count.Should().Be(3);
        golden.AssertMatches(streaming.Mean(), "ref_feats_raw");
    }

    [Theory]
    [MemberData(nameof(FilesAndBlocks))]
    public void Eval_forward_matches_outputs_maps_and_priors(string file, int rowsPerBlock)
    {
        using var blocks = Blocks(rowsPerBlock);
        using var golden = ModelGoldenFile.Copied(file, output);
        using var network = golden.CreateNetwork();
        network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        using (var result = network.call(golden.Read("x")[0..1]))
        {
            golden.AssertMatches(result.Reconstruction, "eval.out");
            AssertMaps(golden, result, "eval");
        }

        using var second = network.call(golden.Read("x2"));
        golden.AssertMatches(second.Reconstruction, "eval_x2.out");
    }

    [Theory]
    [MemberData(nameof(FilesAndBlocks))]
    public void Train_forward_matches_outputs_maps_and_priors(string file, int rowsPerBlock)
    {
        using var blocks = Blocks(rowsPerBlock);
        using var golden = ModelGoldenFile.Copied(file, output);
        using var network = golden.CreateNetwork();
        network.train();
        using var scope = NewDisposeScope();
        using var result = network.call(golden.Read("x"));
        golden.AssertMatches(result.Reconstruction, "train.out");
        AssertMaps(golden, result, "train");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Eval_intermediates_match(string file)
    {
        using var golden = ModelGoldenFile.Copied(file, output);
        using var network = golden.CreateNetwork();
        network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var x = network.Embedding.call(golden.Read("x")[0..1]);
        golden.AssertMatches(x, "eval.dbg.emb");
        var reference = network.ReferenceEmbedding!.call(network.ReferenceTokens);
        golden.AssertMatches(reference, "eval.dbg.ref_emb");

        var layers = network.Encoder.Layers;
        for (var l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            var prefix = $"eval.dbg.layer.{l}.";
            golden.AssertMatches(layer.SelfAttention.SigmaProjection.call(x), prefix + "self_sigma_raw");
            golden.AssertMatches(layer.CrossAttention.SigmaProjection.call(x), prefix + "cross_sigma_raw");
            var self = layer.SelfAttention.call(x, x);
            var cross = layer.CrossAttention.call(x, reference);
            golden.AssertMatches(self.Output, prefix + "self_attn_out");
            golden.AssertMatches(cross.Output, prefix + "cross_attn_out");

            Tensor fused;
            if (layer.Fusion is { } fusion)
            {
                fused = fusion.call(x + self.Output, x + cross.Output);
                golden.AssertMatches(fused, prefix + "fusion_out");
            }
            else
            {
                fused = (x + self.Output) - (x + cross.Output);
                golden.File.Contains(prefix + "fusion_out").Should().BeFalse();
            }

            var y = layer.Norm1.call(fused);
            golden.AssertMatches(y, prefix + "norm1_out");
            golden.AssertMatches(layer.FeedForward.call(y), prefix + "ffn_out");
            var layerOutput = layer.call(x, reference);
            golden.AssertMatches(layerOutput.Output, prefix + "out");
            x = layerOutput.Output;
        }

        golden.AssertMatches(network.Encoder.Norm.call(x), "eval.dbg.encoder_out");
    }

    internal static void AssertMaps(ModelGoldenFile golden, EdLevelOutput result, string mode)
    {
        var layers = golden.Options.Layers;
        result.IntraAttention.Should().HaveCount(layers);
        result.InterAttention.Should().HaveCount(layers);
        for (var l = 0; l < layers; l++)
        {
            golden.AssertMatches(result.IntraAttention[l], $"{mode}.intra_corr.{l}");
            golden.AssertMatches(result.IntraPrior[l], $"{mode}.intra_target.{l}");
            AssertNormalisedPrior(golden, result.IntraPrior[l], $"{mode}.intra_target.{l}");
            golden.AssertMatches(result.InterAttention[l], $"{mode}.inter_corr.{l}");
            golden.AssertMatches(result.InterPrior[l], $"{mode}.inter_target.{l}");
            AssertNormalisedPrior(golden, result.InterPrior[l], $"{mode}.inter_target.{l}");
        }
    }

    // The README's strict check: the row-normalised prior, which is all that losses and scores use, within atol 2e-5.
    private static void AssertNormalisedPrior(ModelGoldenFile golden, Tensor prior, string name)
    {
        using var scope = NewDisposeScope();
        TensorAssert.AllClose(EdObjective.NormalisePrior(prior), EdObjective.NormalisePrior(golden.Read(name)), 2e-5, 0, "normalised " + name);
    }
}

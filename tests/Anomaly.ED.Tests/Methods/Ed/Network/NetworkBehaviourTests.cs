using Anomaly.ED.Formats;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Methods.Ed.Scoring;
using Anomaly.ED.Methods.Ed.Training;
using Anomaly.ED.Scoring;
using Anomaly.ED.Tests.TestSupport;
using Anomaly.ED.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Ed.Network;

/// <summary>Behaviour beyond the reference: validation, any H x W grid, broadcast reference tokens, device/dtype moves.</summary>
public sealed class NetworkBehaviourTests
{
    private static EdLevelOptions Small(int height = 4, int width = 6) => new()
    {
        GridHeight = height,
        GridWidth = width,
        InputChannels = 12,
        ModelDimension = 16,
        Heads = 2,
        Layers = 2,
        FeedForwardScale = 2,
    };

    [Fact]
    public void Invalid_options_are_reported_together_with_names_and_values()
    {
        var options = new EdLevelOptions { GridHeight = 0, ModelDimension = 30, Heads = 4, Dropout = 1.5, Layers = -2 };
        var act = () => new EdLevelNetwork(options);
        var message = act.Should().Throw<ArgumentException>().Which.Message;
        message.Should().Contain("GridHeight").And.Contain("(was 0)")
            .And.Contain("ModelDimension must be a multiple of 4").And.Contain("(was 30)")
            .And.Contain("divisible by Heads (4)")
            .And.Contain("Dropout").And.Contain("1.5")
            .And.Contain("Layers").And.Contain("-2");
    }

    [Fact]
    public void A_rectangular_grid_works_end_to_end()
    {
        using var network = new EdLevelNetwork(Small(4, 6));
        using var scope = NewDisposeScope();
        network.SetReferenceFeatures(rand(12, 24));
        var x = randn(3, 24, 12);
        using var result = network.call(x);
        result.Reconstruction.shape.Should().Equal(3, 24, 12);
        result.IntraAttention.Should().HaveCount(2);
        result.InterPrior[1].shape.Should().Equal(3, 2, 24, 24);
        result.IntraAttention[0].sum(-1).allclose(ones(3, 2, 24), 1e-5, 1e-5).Should().BeTrue();
    }

    [Fact]
    public void Training_with_dropout_uses_the_dropped_maps_for_output_and_losses()
    {
        var options = Small();
        options.Dropout = 0.5;
        using var network = new EdLevelNetwork(options);
        using var scope = NewDisposeScope();
        network.SetReferenceFeatures(rand(12, 24));
        var x = randn(2, 24, 12);
        network.train();
        using var result = network.call(x);
        using var terms = EdObjective.Compute(result, x);

        // The map the losses see is the dropped-out one (zeros, rows no longer summing to one) ...
        var map = result.InterAttention[0];
        (map == 0).any().item<bool>().Should().BeTrue();
        map.sum(-1).allclose(ones(2, 2, 24), 1e-5, 1e-5).Should().BeFalse();

        // ... and the terms are the reference's formulas over exactly these maps.
        var expected = Enumerable.Range(0, options.Layers).Select(l =>
        {
            var p = EdObjective.NormalisePrior(result.InterPrior[l]);
            var a = result.InterAttention[l];
            return EdObjective.KlDivergence(p, a).mean() + EdObjective.KlDivergence(a, p).mean();
        }).Aggregate((a, b) => a + b) / options.Layers;
        TensorAssert.AllClose(terms.Inter1!, expected, 1e-6, 1e-6, "inter1");
        terms.Loss2!.backward();
        network.parameters().Where(p => p.grad is not null).Select(p => p.grad!.isnan().any().item<bool>()).Should().NotContain(true);

        // In eval mode dropout is the identity and the blocked path gives proper distributions.
        network.eval();
        using var noGrad = no_grad();
        using var eval = network.call(x);
        eval.InterAttention[0].sum(-1).allclose(ones(2, 2, 24), 1e-5, 1e-5).Should().BeTrue();
    }

    [Fact]
    public void Rectangular_tables_follow_row_major_token_order()
    {
        using var scope = NewDisposeScope();
        var (dy, dx) = GridGeometry.SquaredDistances(2, 3);

        // Tokens 0 = (0, 0) and 5 = (1, 2).
        dy[0, 5].item<float>().Should().Be(1);
        dx[0, 5].item<float>().Should().Be(4);
        var index = GridGeometry.RelativeOffsetIndex(2, 3);
        index[0, 5].item<long>().Should().Be(1 * 3 + 2);
        index.max().item<long>().Should().Be(5);

        var table = GridGeometry.PositionalTable(8, 2, 3);
        table.shape.Should().Equal(8, 2, 3);
        table[0, 1, 2].item<float>().Should().BeApproximately(MathF.Sin(2), 1e-6f);   // column part
        table[4, 1, 2].item<float>().Should().BeApproximately(MathF.Sin(1), 1e-6f);   // row part
        table[5, 1, 2].item<float>().Should().BeApproximately(MathF.Cos(1), 1e-6f);
    }

    [Fact]
    public void Broadcast_reference_tokens_equal_repeated_ones()
    {
        using var attention = new Attention2D(Small());
        using var scope = NewDisposeScope();
        var query = randn(3, 24, 16);
        var reference = randn(1, 24, 16);
        var broadcast = attention.call(query, reference);
        var repeated = attention.call(query, reference.expand(3, 24, 16).contiguous());
        TensorAssert.AllClose(broadcast.Output, repeated.Output, 1e-6, 1e-5, "output");
        TensorAssert.AllClose(broadcast.Attention!, repeated.Attention!, 1e-7, 1e-5, "attention");
    }

    [Fact]
    public void Fixed_tables_and_reference_features_stay_out_of_the_state_dict_after_a_move()
    {
        using var network = new EdLevelNetwork(Small());
        using var scope = NewDisposeScope();
        var features = rand(12, 24);
        network.SetReferenceFeatures(features);
        var names = network.state_dict().Keys.ToArray();
        names.Should().NotContain(n => n.Contains("pos_embed") || n.Contains("token_") || n.Contains("ref_feats"));

        network.to(ScalarType.Float64);
        network.state_dict().Keys.Should().BeEquivalentTo(names);
        network.GetReferenceFeatures().dtype.Should().Be(ScalarType.Float64);
        TensorAssert.AllClose(network.GetReferenceFeatures(), features, 1e-7, 0, "reference features");
        using var result = network.call(randn(2, 24, 12, dtype: ScalarType.Float64));
        result.InterPrior[0].dtype.Should().Be(ScalarType.Float64);
    }

    [Fact]
    public void Missing_reference_features_and_wrong_shapes_are_explained()
    {
        using var network = new EdLevelNetwork(Small());
        using var scope = NewDisposeScope();
        var act = () => network.call(randn(1, 24, 12));
        act.Should().Throw<InvalidOperationException>().WithMessage("*SetReferenceFeatures*");

        var wrongReference = () => network.SetReferenceFeatures(rand(24, 12));
        wrongReference.Should().Throw<ArgumentException>().WithMessage("*(12, 24)*(24, 12)*");

        network.SetReferenceFeatures(rand(12, 24));
        var wrongInput = () => network.call(randn(1, 25, 12));
        wrongInput.Should().Throw<ArgumentException>().WithMessage("*(B, 24, 12)*4x6*(1, 25, 12)*");
    }

    [Fact]
    public void Reference_features_reject_mismatched_batches_and_an_empty_mean()
    {
        using var accumulator = new ReferenceFeatures();
        var empty = () => accumulator.Mean();
        empty.Should().Throw<InvalidOperationException>().WithMessage("*at least one training image*");

        using var scope = NewDisposeScope();
        accumulator.Add(rand(2, 3, 4, 5));
        var mismatched = () => accumulator.Add(rand(1, 3, 4, 6));
        mismatched.Should().Throw<ArgumentException>().WithMessage("*(N, 3, 4, 5)*(1, 3, 4, 6)*");
        var flat = () => accumulator.Add(rand(3, 4, 5));
        flat.Should().Throw<ArgumentException>().WithMessage("*(N, C, H, W)*");
        accumulator.Mean().shape.Should().Equal(3, 20);
    }

    [Fact]
    public void Inference_and_training_steps_leave_no_tensors_alive()
    {
        using var network = new EdLevelNetwork(Small());
        network.SetReferenceFeatures(rand(12, 24));
        using var x = randn(2, 24, 12);
        using var step = new EdOptimizationStep([network]);
        step.Step([x]);
        network.eval();
        using (no_grad())
        using (var warmUp = network.call(x))
        using (EdTokenScorer.Compute(warmUp, x))
        {
        }

        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 3; i++)
        {
            network.eval();
            using (no_grad())
            using (var result = network.call(x))
            using (EdTokenScorer.Compute(result, x))
            {
            }

            step.Step([x]);
        }

        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before, "forward, scores and steps release every temporary");
    }

    [Fact]
    public void A_saved_state_dict_restores_the_same_network()
    {
        var options = Small();
        options.RelativePositionBias = true;
        using var original = new EdLevelNetwork(options);
        using var restored = new EdLevelNetwork(options);
        using var scope = NewDisposeScope();
        var features = rand(12, 24);
        original.SetReferenceFeatures(features);
        restored.SetReferenceFeatures(features);
        var path = Path.Combine(Path.GetTempPath(), $"ed-level-{Guid.NewGuid():N}.safetensors");
        try
        {
            original.SaveSafetensors(path);
            restored.LoadSafetensors(path, strict: true);
        }
        finally
        {
            File.Delete(path);
        }

        original.eval();
        restored.eval();
        var x = randn(1, 24, 12);
        using var a = original.call(x);
        using var b = restored.call(x);
        TensorAssert.Equal(b.Reconstruction, a.Reconstruction, "reconstruction");
        TensorAssert.Equal(b.InterPrior[1], a.InterPrior[1], "inter prior");
    }

    [Fact]
    public void Branches_can_be_switched_off()
    {
        var options = Small();
        options.WithInter = false;
        using var intraOnly = new EdLevelNetwork(options);
        using var scope = NewDisposeScope();
        intraOnly.state_dict().Keys.Should().NotContain(n => n.StartsWith("ref_embedding."));
        using var result = intraOnly.call(randn(2, 24, 12));
        result.HasIntra.Should().BeTrue();
        result.HasInter.Should().BeFalse();

        options.WithIntra = false;
        using var neither = new EdLevelNetwork(options);
        using var plain = neither.call(randn(2, 24, 12));
        plain.HasIntra.Should().BeFalse();
        plain.Reconstruction.shape.Should().Equal(2, 24, 12);
    }

    [Fact]
    public void Feed_forward_adds_the_lower_median_over_tokens()
    {
        // Two tokens: torch.median returns the lower value, not the mean of the two.
        var options = Small(1, 2);
        using var ffn = new ConvolutionalFeedForward(options);
        using var scope = NewDisposeScope();
        var y = randn(1, 2, 16);
        var hidden = (long)options.FeedForwardDimension;
        var parameters = ffn.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var z = nn.functional.gelu(DepthwiseReference(nn.functional.linear(y, parameters["fc1.weight"], parameters["fc1.bias"]), parameters, hidden));
        var lower = z.min(1, keepdim: true).values;
        var expected = nn.functional.linear(z + parameters["scaling"] * lower, parameters["fc2.weight"], parameters["fc2.bias"]);
        TensorAssert.AllClose(ffn.call(y), expected, 1e-6, 1e-5, "ffn with lower median");
    }

    private static Tensor DepthwiseReference(Tensor tokens, Dictionary<string, TorchSharp.Modules.Parameter> parameters, long hidden)
    {
        var grid = tokens.transpose(1, 2).reshape(1, hidden, 1, 2);
        return nn.functional.conv2d(grid, parameters["dwconv.dwconv.weight"], parameters["dwconv.dwconv.bias"], padding: [1, 1], groups: hidden)
            .flatten(2).transpose(1, 2);
    }
}

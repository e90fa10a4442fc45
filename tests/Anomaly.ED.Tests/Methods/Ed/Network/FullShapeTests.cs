using System.Text.Json;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Methods.Ed.Scoring;
using Anomaly.ED.Scoring;
using Anomaly.ED.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Ed.Network;

/// <summary>ED at the real level-1 size (32x32 grid, 512 channels, d_model 256, 8 heads, 3 layers).</summary>
public sealed class FullShapeTests(ITestOutputHelper output)
{
    [Fact]
    public void Full_size_state_dict_has_the_sidecar_names_and_shapes()
    {
        using var sidecar = JsonDocument.Parse(File.ReadAllText(GoldenData.Copied("model/ed_full_shape.json")));
        var expected = sidecar.RootElement.GetProperty("tensors").EnumerateArray()
            .Select(t => (Name: t.GetProperty("name").GetString()!, Shape: t.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64()).ToArray()))
            .Where(t => t.Name.StartsWith("param.", StringComparison.Ordinal))
            .ToDictionary(t => t.Name["param.".Length..], t => t.Shape);

        using var network = new EdLevelNetwork(EdLevelOptions.Ed(32, 32, 512, 256, heads: 8, layers: 3));
        using var scope = NewDisposeScope();
        var actual = network.state_dict();
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, tensor) in actual)
        {
            tensor.shape.Should().Equal(expected[name], name);
        }
    }

    [SharedGoldenFact("model/ed_full_shape.safetensors")]
    public void Full_size_eval_output_and_score_match()
    {
        using var golden = ModelGoldenFile.Shared("ed_full_shape", output);
        golden.Options.TokenCount.Should().Be(1024);
        using var network = golden.CreateNetwork();
        network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = golden.Read("x");
        using var result = network.call(x);
        golden.AssertMatches(result.Reconstruction, "eval.out");
        using var scores = EdTokenScorer.Compute(result, x);
        golden.AssertMatches(scores.Final, "score.final.x");
    }
}

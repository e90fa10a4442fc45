using System.Text.Json;
using Anomaly.ED.Formats;
using Anomaly.ED.Tests.TestSupport;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Formats;

public sealed class SafetensorsGoldenTests
{
    [Theory]
    [InlineData("model/ed_small", 305)]
    [InlineData("model/ed_small_relpos", 322)]
    [InlineData("model/fod_small", 249)]
    public void HeaderMatchesTheSidecar(string stem, int count)
    {
        using var sidecar = JsonDocument.Parse(File.ReadAllText(GoldenData.Copied(stem + ".json")));
        var expected = sidecar.RootElement.GetProperty("tensors").EnumerateArray()
            .Select(t => (Name: t.GetProperty("name").GetString()!, DType: t.GetProperty("dtype").GetString()!, Shape: t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray()))
            .ToDictionary(t => t.Name);

        using var file = SafetensorsFile.Open(GoldenData.Copied(stem + ".safetensors"));

        file.Tensors.Should().HaveCount(count);
        expected.Should().HaveCount(count);
        foreach (var info in file.Tensors)
        {
            expected.Should().ContainKey(info.Name);
            var entry = expected[info.Name];
            info.DType.ToString().ToUpperInvariant().Should().Be(entry.DType, info.Name);
            info.Shape.Should().Equal(entry.Shape, info.Name);
        }

        file.Tensors.Select(t => t.DataBegin).Should().BeInAscendingOrder();
        file.Metadata.Should().ContainKeys("generator", "versions", "model_class", "config", "seeds", "training", "scalars", "grad_none", "dtype");
        file.Metadata["model_class"].Should().Be(sidecar.RootElement.GetProperty("model_class").GetString());
    }

    [Fact]
    public void ScalarsAreZeroDimensionalWithTheirValues()
    {
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(GoldenData.Copied("model/ed_small.safetensors"));

        var scale = file.ReadTensor("param.encoder.encode_layers.0.self_attention.scale_factor");

        scale.dtype.Should().Be(ScalarType.Float32);
        scale.shape.Should().BeEmpty();
        // Initialised to 1/sqrt(d_model / n_heads) = 1/sqrt(32 / 4).
        scale.item<float>().Should().Be((float)(1 / Math.Sqrt(8)));
        var loss = file.ReadTensor("loss.rec");
        loss.shape.Should().BeEmpty();
        loss.item<float>().Should().BeInRange(0f, 10f);
    }

    [Fact]
    public void DistanceMapsHoldSquaredGridDistances()
    {
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(GoldenData.Copied("model/ed_small.safetensors"));

        var dx = file.ReadTensor("distances_x");
        var dy = file.ReadTensor("distances_y");

        var token = arange(64, ScalarType.Int64);
        var column = token.remainder(8).to(ScalarType.Float32);
        var row = token.div(8, rounding_mode: RoundingMode.floor).to(ScalarType.Float32);
        TensorAssert.Equal(dx, (column.unsqueeze(1) - column.unsqueeze(0)).square(), "distances_x");
        TensorAssert.Equal(dy, (row.unsqueeze(1) - row.unsqueeze(0)).square(), "distances_y");
    }

    [Fact]
    public void RelativePositionIndexTablesAreInt64()
    {
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(GoldenData.Copied("model/ed_small_relpos.safetensors"));

        var indices = file.ReadTensor("param.encoder.encode_layers.0.self_attention.attention_bias_idxs");

        indices.dtype.Should().Be(ScalarType.Int64);
        indices.shape.Should().Equal(64, 64);
        indices[0, 0].item<long>().Should().Be(0, "a token has zero offset to itself");
        indices.min().item<long>().Should().BeGreaterThanOrEqualTo(0);
    }

    [SharedGoldenFact("pipeline/backbone_resnet18.safetensors")]
    public void UnsignedFillProbeHashesReadAsUlong()
    {
        using var file = SafetensorsFile.Open(GoldenData.SharedOrNull("pipeline/backbone_resnet18.safetensors")!);

        var z = file.ReadArray<ulong>("fill_probe.z");
        var k = file.ReadArray<long>("fill_probe.k");
        var i = file.ReadArray<long>("fill_probe.i");

        file.GetInfo("fill_probe.z").DType.Should().Be(SafetensorsDType.U64);
        z.Should().HaveCount(7);
        // The README's worked examples: the SplitMix64 outputs for (k=0, i=0) and (k=1, i=0).
        k[0].Should().Be(0);
        i[0].Should().Be(0);
        z[0].Should().Be(0xE220A8397B1DCDAF);
        var index = Array.FindIndex(k, value => value == 1);
        i[index].Should().Be(0);
        z[index].Should().Be(0x6E789E6AA1B965F4);
    }

    [SharedGoldenFact("pipeline/postprocess_metrics.safetensors")]
    public void MixedDTypesReadWithTheirTypes()
    {
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(GoldenData.SharedOrNull("pipeline/postprocess_metrics.safetensors")!);

        var masks = file.ReadTensor("gt_masks.packbits");
        var labels = file.ReadTensor("labels");
        var auroc = file.ReadTensor("image_auroc");

        masks.dtype.Should().Be(ScalarType.Byte);
        masks.shape.Should().Equal(8, 256, 32);
        labels.dtype.Should().Be(ScalarType.Int64);
        labels.shape.Should().Equal(8);
        auroc.dtype.Should().Be(ScalarType.Float64);
        auroc.shape.Should().BeEmpty();
        auroc.item<double>().Should().BeInRange(0, 1);
        file.ReadArray<long>("labels").Should().OnlyContain(label => label == 0 || label == 1);
        file.ReadArray<double>("image_auroc").Should().Equal(auroc.item<double>());
    }
}

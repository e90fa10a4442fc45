using System.Text.Json;
using Anomaly.ED.Backbones;
using Anomaly.ED.Tests.TestSupport;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Backbones;

public sealed class ResNetStateDictTests
{
    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("wide_resnet50_2")]
    [InlineData("wide_resnet101_2")]
    public void NamesShapesAndDtypesEqualTorchvisionInOrder(string arch)
    {
        var expected = ReadKeys(arch);
        // The meta device allocates nothing: names, shapes and dtypes without 127 M initialised values.
        using var net = new ResNet(BackboneCatalog.Get(arch), device: new TorchSharp.torch.Device(TorchSharp.DeviceType.META));
        var actual = net.OrderedStateDict()
            .Select(e => (e.Key, Shape: e.Value.shape, Dtype: e.Value.dtype == ScalarType.Int64 ? "I64" : e.Value.dtype == ScalarType.Float32 ? "F32" : e.Value.dtype.ToString()))
            .ToList();

        actual.Select(a => a.Key).Should().Equal(expected.Select(e => e.Name), $"{arch} state-dict names, in order");
        for (var i = 0; i < expected.Count; i++)
        {
            actual[i].Shape.Should().Equal(expected[i].Shape, $"shape of {expected[i].Name}");
            actual[i].Dtype.Should().Be(expected[i].Dtype, $"dtype of {expected[i].Name}");
        }

        net.state_dict().Keys.Should().BeEquivalentTo(expected.Select(e => e.Name), "TorchSharp's own state_dict has the same key set");
        net.parameters().Sum(p => p.numel()).Should().Be(ReadParameterCount(arch));
    }

    [Fact]
    public void TruncatedNetworkHasAPrefixOfTheKeysAndNoClassifier()
    {
        var full = ReadKeys("wide_resnet50_2").Select(k => k.Name).ToList();
        using var net = new ResNet(BackboneCatalog.Get("wide_resnet50_2"), stageCount: 3, includeClassifier: false);
        var names = net.OrderedStateDict().Select(e => e.Key).ToList();

        names.Should().Equal(full.Where(n => !n.StartsWith("layer4.", StringComparison.Ordinal) && !n.StartsWith("fc.", StringComparison.Ordinal)));
        net.HasClassifier.Should().BeFalse();
        net.parameters().Sum(p => p.numel()).Should().Be(24_862_528, "wide_resnet50_2 up to layer3 holds 24.9 M of its 68.9 M parameters");
        var forward = () => net.forward(zeros(1, 3, 32, 32));
        forward.Should().Throw<InvalidOperationException>().WithMessage("*without its classifier*");
    }

    [Theory]
    [InlineData("resnet18", 1, 64, 128, 256, 512)]
    [InlineData("resnet34", 1, 64, 128, 256, 512)]
    [InlineData("resnet50", 4, 256, 512, 1024, 2048)]
    [InlineData("resnet101", 4, 256, 512, 1024, 2048)]
    [InlineData("resnet152", 4, 256, 512, 1024, 2048)]
    [InlineData("wide_resnet50_2", 4, 256, 512, 1024, 2048)]
    [InlineData("wide_resnet101_2", 4, 256, 512, 1024, 2048)]
    public void CatalogReportsTorchvisionStageSizes(string arch, int expansion, int c1, int c2, int c3, int c4)
    {
        var architecture = BackboneCatalog.Get(arch);

        architecture.Expansion.Should().Be(expansion);
        architecture.Stages.Select(s => s.Name).Should().Equal("stem", "layer1", "layer2", "layer3", "layer4");
        architecture.Stages.Select(s => s.Channels).Should().Equal(64, c1, c2, c3, c4);
        architecture.Stages.Select(s => s.Stride).Should().Equal(4, 4, 8, 16, 32);
        architecture.Stage("layer3").OutputSize(256).Should().Be(16);
    }

    [Fact]
    public void FullForwardGivesLogitsOfTheClassifierSize()
    {
        using var net = new ResNet(BackboneCatalog.Get("resnet18"), numClasses: 7);
        net.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var logits = net.forward(randn(2, 3, 40, 40));

        logits.shape.Should().Equal(2, 7);
    }

    [Fact]
    public void UnknownNameListsTheKnownBackbones()
    {
        var get = () => BackboneCatalog.Get("resnet19");

        get.Should().Throw<ArgumentException>()
            .WithMessage("*resnet19*resnet18, resnet34, resnet50, resnet101, resnet152, wide_resnet50_2, wide_resnet101_2*");
        BackboneCatalog.Get(" Wide_ResNet50_2 ").Name.Should().Be("wide_resnet50_2");
    }

    internal sealed record KeyEntry(string Name, long[] Shape, string Dtype, int? FillIndex);

    internal static List<KeyEntry> ReadKeys(string arch)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(GoldenData.Copied($"pipeline/keys_{arch}.json")));
        return doc.RootElement.GetProperty("keys").EnumerateArray()
            .Select(k => new KeyEntry(
                k.GetProperty("name").GetString()!,
                k.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                k.GetProperty("dtype").GetString()!,
                k.GetProperty("fill_index").ValueKind == JsonValueKind.Null ? null : k.GetProperty("fill_index").GetInt32()))
            .ToList();
    }

    private static long ReadParameterCount(string arch)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(GoldenData.Copied($"pipeline/keys_{arch}.json")));
        return doc.RootElement.GetProperty("num_parameters").GetInt64();
    }
}

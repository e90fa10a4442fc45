using Anomaly.ED.Backbones;
using Anomaly.ED.Formats;
using Anomaly.ED.Pretrained;
using Anomaly.ED.Tests.TestSupport;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Backbones;

public sealed class ResNetWeightsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("anomaly-ed-resnet-weights-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void EveryMissingUnexpectedAndMisshapedKeyIsListedAndNothingIsLoaded()
    {
        using var scope = NewDisposeScope();
        var state = StemAndLayer1State(seed: 1);
        state.Remove("layer1.0.conv1.weight");
        state.Remove("layer1.1.bn2.running_var");
        state["layer1.0.extra.weight"] = ones(3);
        state["bn1.weight"] = ones(32);
        var file = Save("broken.safetensors", state);
        using var network = new ResNet(BackboneCatalog.Get("resnet18"), stageCount: 1, includeClassifier: false);
        var before = network.OrderedStateDict().First(e => e.Key == "conv1.weight").Value.clone();

        var load = () => network.LoadWeights(file);

        var error = load.Should().Throw<StateDictMismatchException>().Which;
        error.MissingKeys.Should().BeEquivalentTo("layer1.0.conv1.weight", "layer1.1.bn2.running_var");
        error.UnexpectedKeys.Should().BeEquivalentTo("layer1.0.extra.weight");
        error.ShapeMismatches.Should().ContainSingle().Which.Should().Contain("bn1.weight").And.Contain("[64]").And.Contain("[32]");
        error.Message.Should().Contain("resnet18").And.Contain(file);
        TensorAssert.Equal(network.OrderedStateDict().First(e => e.Key == "conv1.weight").Value, before, "conv1.weight untouched");
    }

    [Fact]
    public void ClassifierDeeperStagesAndNumBatchesTrackedAreOptionalForATruncatedNetwork()
    {
        using var scope = NewDisposeScope();
        var state = StemAndLayer1State(seed: 2);
        foreach (var key in state.Keys.Where(k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToList())
        {
            state.Remove(key);
        }

        state["fc.weight"] = ones(1000, 512);
        state["fc.bias"] = ones(1000);
        state["layer2.0.conv1.weight"] = ones(128, 64, 3, 3);
        state["layer4.1.bn2.running_mean"] = ones(512);
        var file = Save("timm-like.safetensors", state);
        using var network = new ResNet(BackboneCatalog.Get("resnet18"), stageCount: 1, includeClassifier: false);

        network.LoadWeights(file);

        foreach (var (name, tensor) in network.OrderedStateDict())
        {
            if (state.TryGetValue(name, out var expected))
            {
                TensorAssert.Equal(tensor, expected, name);
            }
        }
    }

    [Fact]
    public void APrefixIsStrippedAndHalfPrecisionIsConverted()
    {
        using var scope = NewDisposeScope();
        var state = StemAndLayer1State(seed: 3);
        var file = Save("prefixed.safetensors", state.ToDictionary(kv => "module." + kv.Key, kv => kv.Value.dtype == ScalarType.Float32 ? kv.Value.to(ScalarType.Float16) : kv.Value));
        using var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer1"]);
        var stateOfStage1 = extractor.Network.OrderedStateDict();

        extractor.LoadWeights(file, prefix: "module.");

        var conv = stateOfStage1.First(e => e.Key == "layer1.1.conv2.weight").Value;
        conv.dtype.Should().Be(ScalarType.Float32);
        TensorAssert.Equal(conv, state["layer1.1.conv2.weight"].to(ScalarType.Float16).to(ScalarType.Float32), "layer1.1.conv2.weight");
    }

    [Fact]
    public void AFullNetworkRequiresItsClassifier()
    {
        using var scope = NewDisposeScope();
        var file = Save("stage1.safetensors", StemAndLayer1State(seed: 4));
        using var network = new ResNet(BackboneCatalog.Get("resnet18"));

        var load = () => network.LoadWeights(file);

        load.Should().Throw<StateDictMismatchException>().Which.MissingKeys.Should().Contain(["fc.weight", "fc.bias", "layer4.1.bn2.running_var"]);
    }

    [Fact]
    public async Task PretrainedExtractorsResolveFromTheCacheWithoutNetwork()
    {
        using var scope = NewDisposeScope();
        var state = StemAndLayer1State(seed: 5);
        var cache = new PretrainedWeightsCache(new PretrainedWeightsOptions
        {
            CacheDirectory = Path.Combine(directory, "cache"),
            BaseAddress = new Uri("http://127.0.0.1:9/"),
        });
        var cachedPath = cache.GetPath(PretrainedCatalog.Get("resnet18"));
        Directory.CreateDirectory(Path.GetDirectoryName(cachedPath)!);
        SafetensorsWriter.Save(cachedPath, state);

        using var extractor = ResNetFeatureExtractor.FromPretrained("resnet18", ["layer1"], cache: cache);
        using var fromAsync = await ResNetFeatureExtractor.FromPretrainedAsync("resnet18", ["stem"], weights: "resnet18.tv_in1k", cache: cache);
        var wrongArchitecture = () => ResNetFeatureExtractor.FromPretrained("resnet50", ["layer1"], weights: "resnet18.tv_in1k", cache: cache);
        var notCached = () => ResNetFeatureExtractor.FromPretrainedAsync("resnet34", ["layer1"], cache: cache);

        TensorAssert.Equal(extractor.Network.OrderedStateDict().First(e => e.Key == "layer1.0.bn1.bias").Value, state["layer1.0.bn1.bias"], "layer1.0.bn1.bias");
        TensorAssert.Equal(fromAsync.Network.OrderedStateDict().First(e => e.Key == "conv1.weight").Value, state["conv1.weight"], "conv1.weight");
        wrongArchitecture.Should().Throw<ArgumentException>().WithMessage("*resnet18.tv_in1k*resnet18*not resnet50*");
        (await notCached.Should().ThrowAsync<FileNotFoundException>()).WithMessage("*resnet34.tv_in1k*not in the cache*");
    }

    /// <summary>A resnet18 state dict up to layer1 with distinct random values (registered in the caller's scope).</summary>
    private static Dictionary<string, Tensor> StemAndLayer1State(int seed)
    {
        using var network = new ResNet(BackboneCatalog.Get("resnet18"), stageCount: 1, includeClassifier: false);
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        return network.OrderedStateDict().ToDictionary(
            e => e.Key,
            e => e.Value.dtype == ScalarType.Float32 ? rand(e.Value.shape, generator: generator) : full(e.Value.shape, 7L, ScalarType.Int64));
    }

    private string Save(string name, IReadOnlyDictionary<string, Tensor> state)
    {
        var path = Path.Combine(directory, name);
        SafetensorsWriter.Save(path, state);
        return path;
    }
}

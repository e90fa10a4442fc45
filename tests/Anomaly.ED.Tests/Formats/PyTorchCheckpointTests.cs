using System.Text.Json;
using Anomaly.ED.Backbones;
using Anomaly.ED.Formats;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Formats;

/// <summary>
/// Reading torch.save files (zip and legacy formats) written by PyTorch 1.13; the files and the script that made them
/// are in Weights/Data (make_pytorch_files.py).
/// </summary>
public sealed class PyTorchCheckpointTests
{
    private static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Formats", "Data", name);

    [Theory]
    [InlineData("small_zip.pth")]
    [InlineData("small_legacy.pth")]
    public void SmallStateDictLoadsWithTheExactTensors(string fileName)
    {
        using var scope = NewDisposeScope();
        using var file = PyTorchCheckpointFile.Open(DataFile(fileName));
        var tensors = StateDictSources.StateDict(file).ToDictionary(t => t.Key, t => file.ReadTensor(t.Value));

        tensors.Keys.Should().BeEquivalentTo(["a", "a_t", "b", "c", "d", "e", "f"]);
        var a = arange(12, dtype: ScalarType.Float32).reshape(3, 4) * 0.5f;
        tensors["a"].dtype.Should().Be(ScalarType.Float32);
        tensors["a"].allclose(a, rtol: 0, atol: 0).Should().BeTrue();
        tensors["a_t"].shape.Should().Equal([4L, 3L]);
        tensors["a_t"].allclose(a.t(), rtol: 0, atol: 0).Should().BeTrue("a transposed view of a's storage is read through its strides");
        tensors["b"].dtype.Should().Be(ScalarType.Int64);
        tensors["b"].data<long>().ToArray().Should().Equal([-2L, -1, 0, 1, 2, 3]);
        tensors["c"].dtype.Should().Be(ScalarType.Float16);
        tensors["c"].to_type(ScalarType.Float32).data<float>().ToArray().Should().Equal([1.5f, -2.25f]);
        tensors["d"].dtype.Should().Be(ScalarType.Bool);
        tensors["d"].data<bool>().ToArray().Should().Equal([true, false, true]);
        tensors["e"].dtype.Should().Be(ScalarType.Float64);
        tensors["e"].shape.Should().BeEmpty();
        tensors["e"].item<double>().Should().Be(3.0);
        tensors["f"].data<float>().ToArray().Should().Equal([0.125f, 8.0f], "an nn.Parameter is read as its tensor");
    }

    [Fact]
    public void ATrainingCheckpointGivesTheStateDictUnderItsKey()
    {
        using var source = StateDictSources.Open(DataFile("small_wrapped.bin"));

        source.Shapes.Select(s => s.Key).Should().BeEquivalentTo(["a", "a_t", "b", "c", "d", "e", "f"]);
        using var a = source.Read("a");
        a.sum().item<float>().Should().Be(33f);
    }

    [Theory]
    [InlineData("resnet18_layer1.pth")]
    [InlineData("resnet18_layer1_legacy.pth")]
    public void TorchvisionWeightsLoadIntoTheBackboneWithTheExactValuesAndFeatures(string fileName)
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(DataFile("resnet18_layer1.json")));
        using var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer1"]).LoadWeights(DataFile(fileName));

        var state = extractor.Network.OrderedStateDict().ToDictionary(e => e.Key, e => e.Value);
        var sums = expected.RootElement.GetProperty("sums");
        state.Keys.Should().BeEquivalentTo(sums.EnumerateObject().Select(p => p.Name));
        foreach (var first in expected.RootElement.GetProperty("first").EnumerateObject())
        {
            using var values = state[first.Name].flatten().narrow(0, 0, first.Value.GetArrayLength()).to_type(ScalarType.Float64);
            values.data<double>().ToArray().Should().Equal(first.Value.EnumerateArray().Select(v => v.GetDouble()), first.Name);
            using var sum = state[first.Name].to_type(ScalarType.Float64).sum();
            sum.item<double>().Should().BeApproximately(sums.GetProperty(first.Name).GetDouble(), 1e-9, first.Name);
        }

        using var scope = NewDisposeScope();
        var input = linspace(-2, 2, 3 * 32 * 32).reshape(1, 3, 32, 32);
        using var maps = extractor.Extract(input);
        var layer1 = maps["layer1"].to_type(ScalarType.Float64);
        var reference = expected.RootElement.GetProperty("layer1_first").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        layer1.flatten().narrow(0, 0, reference.Length).data<double>().ToArray().Should().Equal(reference, (a, b) => Math.Abs(a - b) <= 1e-5 + (1e-5 * Math.Abs(b)));
        layer1.abs().sum().item<double>().Should().BeApproximately(expected.RootElement.GetProperty("layer1_abs_sum").GetDouble(), 1e-3);
    }

    [Fact]
    public void ACheckpointThatDoesNotFitListsTheMissingKeys()
    {
        using var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer2"]);

        var act = () => extractor.LoadWeights(DataFile("resnet18_layer1.pth"));

        act.Should().Throw<StateDictMismatchException>()
            .Which.MissingKeys.Should().Contain("layer2.0.conv1.weight").And.OnlyContain(k => k.StartsWith("layer2.", StringComparison.Ordinal));
    }

    [Fact]
    public void APickleThatWouldRunCodeIsRefusedAndRunsNothing()
    {
        var marker = Path.Combine(Environment.CurrentDirectory, "anomaly-ed-pickle-ran-code");

        var act = () => StateDictSources.Open(DataFile("runs_code.pth"));

        act.Should().Throw<CheckpointFormatException>()
            .Which.Message.Should().Contain("posix.system").And.Contain("nothing was executed").And.Contain("runs_code.pth");
        File.Exists(marker).Should().BeFalse();
    }

    [Fact]
    public void AReferenceToAPythonCallableIsRefused()
    {
        var act = () => PyTorchCheckpointFile.Open(DataFile("callable_reference.pth"));

        act.Should().Throw<CheckpointFormatException>()
            .Which.Message.Should().Contain("['f']").And.Contain("posix.system").And.Contain("Only tensors and containers");
    }

    [Theory]
    [InlineData("truncated_zip.pth")]
    [InlineData("truncated_legacy.pth")]
    public void ATruncatedFileIsRefused(string fileName)
    {
        var act = () =>
        {
            using var source = StateDictSources.Open(DataFile(fileName));
            foreach (var (name, _) in source.Shapes)
            {
                source.Read(name).Dispose();
            }
        };

        act.Should().Throw<CheckpointFormatException>().Which.FilePath.Should().Be(DataFile(fileName));
    }

    [Fact]
    public void ATamperedPickleIsRefused()
    {
        using var files = new WeightsTestFiles();
        var bytes = File.ReadAllBytes(DataFile("small_legacy.pth"));
        var at = bytes.AsSpan().IndexOf("_rebuild_tensor_v2"u8);
        "_rebuild_tensor_v3"u8.CopyTo(bytes.AsSpan(at));
        var path = files.PathOf("tampered.pth");
        File.WriteAllBytes(path, bytes);

        var act = () => PyTorchCheckpointFile.Open(path);

        act.Should().Throw<CheckpointFormatException>().Which.Message.Should().Contain("_rebuild_tensor_v3");
    }

    [Fact]
    public void ASafetensorsFileWhoseHeaderLengthStartsWithThePickleMarkerIsStillSafetensors()
    {
        using var files = new WeightsTestFiles();
        const string Entry = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        var path = files.WriteRaw("x.safetensors", Entry.PadRight(0x0280), BitConverter.GetBytes(2.5f));

        File.ReadAllBytes(path)[..2].Should().Equal([(byte)0x80, (byte)0x02], "a header of 640 bytes starts like a pickle");
        using var source = StateDictSources.Open(path);
        using var a = source.Read("a");
        a.item<float>().Should().Be(2.5f);
    }

    [Fact]
    public void AFileThatIsNoCheckpointIsRefused()
    {
        using var files = new WeightsTestFiles();
        var path = files.PathOf("noise.pth");
        File.WriteAllBytes(path, [0x80, 0x02, 0xFF, 0x13, 0x37]);

        var act = () => PyTorchCheckpointFile.Open(path);

        act.Should().Throw<CheckpointFormatException>().Which.FilePath.Should().Be(path);
    }
}

using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Formats.Onnx;
using Anomaly.ED.Formats;
using Anomaly.ED.Pretrained;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Anomaly.ED.Tests.Backbones;

/// <summary>
/// ML.NET's ImageNet ResNet18 (package Microsoft.ML.DnnImageFeaturizer.ResNet18, restored by this test project and found
/// as the library finds it: beside the tests, where the quick start's reference copies it, or in the NuGet packages
/// folder). The import maps every initializer, and the imported backbone fed torchvision-normalised input equals ONNX
/// Runtime's evaluation of the package's own graph fed the package's input (BGR, 0..255, minus its mean image).
/// The test that changes NUGET_PACKAGES is in this class, whose tests run one at a time.
/// </summary>
public sealed class MlNetResNet18Tests(ITestOutputHelper log)
{
    private static string OnnxPath => MlNetResNet18Package.Network.TryLocate(out var path)
        ? path
        : throw new InvalidOperationException($"The test project restores {MlNetResNet18Package.PackageId}; it was not found: {MlNetResNet18Package.Network.MissingFileMessage("test")}");

    [Theory]
    [InlineData(true, 5e-3, 1e-3)]
    [InlineData(false, 0.12, 0.05)]
    public void ImportedStagesEqualOnnxRuntimeOnTheRawInput(bool averagedMeanImage, double worstTolerance, double typicalTolerance)
    {
        // The fold moves the per-channel average of the package's mean image into bn1. With that average subtracted
        // (first case) the graphs must agree to float32 rounding, which checks the mapping and the fold. With the
        // package's own per-pixel mean image (second case: how ML.NET feeds the graph) they differ by the image's
        // deviation from its average, a few grey levels, which is the tolerance stated in docs/backbones.md.
        using var extractor = ResNetFeatureExtractor.FromPretrained("resnet18", ["layer1", "layer2", "layer3"], "resnet18.mlnet_in1k");
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(20261129);
        var normalised = randn([1, 3, 224, 224], generator: generator).clamp(-2, 2);

        var mean = tensor(PreprocessingDefaults.ImageNetMean.ToArray()).view(1, 3, 1, 1);
        var std = tensor(PreprocessingDefaults.ImageNetStd.ToArray()).view(1, 3, 1, 1);
        using var meanImage = MlNetResNet18Onnx.ReadMeanImage(MlNetResNet18Onnx.DefaultPreprocessPath(OnnxPath));
        var subtracted = averagedMeanImage ? meanImage.mean([0, 2, 3], keepdim: true) : meanImage;
        var raw = ((normalised * std) + mean).mul(255f).flip(1) - subtracted;
        var expected = RunOnnxRuntime(raw);

        using var maps = extractor.Extract(normalised);
        foreach (var (stage, reference) in expected)
        {
            var actual = maps[stage];
            actual.shape.Should().Equal(reference.shape, stage);
            var difference = (actual - reference).abs();
            var worst = difference.max().item<float>() / reference.abs().max().item<float>();
            var typical = difference.mean().item<float>() / reference.abs().mean().item<float>();
            log.WriteLine($"{(averagedMeanImage ? "averaged" : "package")} mean image, {stage}: max |diff| / max |ref| = {worst:E2}, mean |diff| / mean |ref| = {typical:E2}");
            worst.Should().BeLessThan((float)worstTolerance, stage);
            typical.Should().BeLessThan((float)typicalTolerance, stage);
        }
    }

    [Fact]
    public void Layer4IsRefusedBecauseThePackageHasThreeBlocksThere()
    {
        var act = () => ResNetFeatureExtractor.FromPretrained("resnet18", ["layer3", "layer4"], "resnet18.mlnet_in1k");

        act.Should().Throw<CheckpointFormatException>().Which.Message.Should().Contain("three blocks").And.Contain("up to layer3");
    }

    [Fact]
    public void AGraphThatIsNotThePackagesLayoutIsRefusedNamingTheNode()
    {
        using var files = new Formats.WeightsTestFiles();
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxPath));
        var conv = model.Graph.Node.Where(n => n.OpType == "Conv").ElementAt(5);
        conv.Attribute.Single(a => a.Name == "strides").Ints[0] = 3;
        var folder = Path.Combine(files.Directory, "ResNet18Onnx");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "ResNet18.onnx");
        File.WriteAllBytes(path, model.ToByteArray());

        var act = () => MlNetResNet18Onnx.MapInitializers(OnnxModelFile.Open(path));

        act.Should().Throw<CheckpointFormatException>().Which.Message.Should().Contain($"'{conv.Name}'").And.Contain("strides [3, ");
    }

    [Fact]
    public async Task AMissingPackageNamesThePackageToAdd()
    {
        var checkpoint = new PretrainedCheckpoint("resnet18.absent", "resnet18", new NuGetPackageFile("Anomaly.ED.Absent.Package", "1.0.0", "tools/Model.onnx", "AbsentModels/Model.onnx"));
        var cache = new PretrainedWeightsCache();

        cache.TryGetCached(checkpoint, out _).Should().BeFalse();
        var act = () => cache.DownloadAsync(checkpoint);

        (await act.Should().ThrowAsync<FileNotFoundException>()).Which.Message.Should()
            .Contain("dotnet add package Anomaly.ED.Absent.Package --version 1.0.0")
            .And.Contain(Path.Combine(AppContext.BaseDirectory, "AbsentModels", "Model.onnx"));
    }

    [Fact]
    public void ThePackageIsFoundInTheNuGetPackagesFolderInAnyRestoredVersion()
    {
        var previous = Environment.GetEnvironmentVariable(NuGetPackageFile.PackagesFolderEnvironmentVariable);
        using var files = new Formats.WeightsTestFiles();
        var file = new NuGetPackageFile("Anomaly.ED.Absent.Package", "1.0.0", "tools/Model.onnx", "AbsentModels/Model.onnx");
        var other = Path.Combine(files.Directory, "anomaly.ed.absent.package", "2.0.0", "tools", "Model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(other)!);
        File.WriteAllText(other, "model");
        Environment.SetEnvironmentVariable(NuGetPackageFile.PackagesFolderEnvironmentVariable, files.Directory);
        try
        {
            file.TryLocate(out var found).Should().BeTrue();
            found.Should().Be(other, "the known version is absent, so another restored version is used");

            var known = Path.Combine(files.Directory, "anomaly.ed.absent.package", "1.0.0", "tools", "Model.onnx");
            Directory.CreateDirectory(Path.GetDirectoryName(known)!);
            File.WriteAllText(known, "model");
            file.TryLocate(out found).Should().BeTrue();
            found.Should().Be(known, "the known version comes first");
        }
        finally
        {
            Environment.SetEnvironmentVariable(NuGetPackageFile.PackagesFolderEnvironmentVariable, previous);
        }
    }

    /// <summary>Runs the package's graph with the last ReLU of layer1, layer2 and layer3 added as graph outputs.</summary>
    private static List<(string Stage, Tensor Output)> RunOnnxRuntime(Tensor raw)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxPath));
        var producers = model.Graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        var blockOutputs = model.Graph.Node
            .Where(n => n.OpType == "Relu" && producers.TryGetValue(n.Input[0], out var add) && add.OpType == "Add")
            .Select(n => n.Output[0]).ToList();
        blockOutputs.Should().HaveCount(9, "the package's ResNet18 has 2 + 2 + 2 + 3 residual blocks");
        var stages = new[] { ("layer1", blockOutputs[1]), ("layer2", blockOutputs[3]), ("layer3", blockOutputs[5]) };
        foreach (var (_, name) in stages)
        {
            model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        }

        using var session = new InferenceSession(model.ToByteArray());
        var input = new DenseTensor<float>(raw.contiguous().data<float>().ToArray(), [1, 3, 224, 224]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input)], stages.Select(s => s.Item2).ToArray());
        return [.. stages.Select((s, i) =>
        {
            var output = results.ElementAt(i).AsTensor<float>();
            return (s.Item1, tensor(output.ToArray(), output.Dimensions.ToArray().Select(d => (long)d).ToArray()));
        })];
    }
}

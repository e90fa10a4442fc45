using System.Buffers.Binary;
using System.Text.Json;
using Anomaly.ED.Backbones;
using Anomaly.ED.Formats;
using Anomaly.ED.Hosting;
using Anomaly.ED.Methods;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Tests.Data;
using TorchSharp;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// Devices and architectures a deployment may get wrong: a CUDA device where CUDA is not available (a clear error
/// naming the option), a model file moved between devices (it records none: every tensor is written from a CPU copy,
/// so a file saved on a GPU loads on the CPU), and weights of another architecture (a mismatch listing the keys).
/// </summary>
public sealed class DeviceAndArchitectureTests
{
    private static readonly string LegacyFolder = Path.Combine(AppContext.BaseDirectory, "Detector", "LegacyModels");

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:3")]
    public void ACudaDeviceWhereThereIsNoneIsAClearErrorNamingTheBuilderOption(string device)
    {
        var build = () => new EdDetectorBuilder().WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(32)
            .WithLevels(["layer1"], [16]).WithNetwork(heads: 2, layers: 1).UseDevice(device).Build();

        build.Should().Throw<InvalidOperationException>().Which.Message.Should()
            .Contain($"RuntimeOptions.Device (EdDetectorBuilder.UseDevice) is '{device}'")
            .And.Contain(torch.cuda.is_available() ? "CUDA device(s)" : "CUDA is not available");
    }

    [Fact]
    public void ACudaDeviceWhereThereIsNoneIsAClearErrorNamingTheLoadOption()
    {
        var load = () => EdDetector.Load(Path.Combine(LegacyFolder, "v1-ed.edmodel"), new LoadOptions { Runtime = new RuntimeOptions { Device = torch.cuda.is_available() ? "cuda:99" : "cuda" } });

        load.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain("LoadOptions.Runtime.Device is 'cuda").And.Contain("set LoadOptions.Runtime.Device to 'cpu'");
    }

    [Fact]
    public void ThroughHostingTheErrorNamesTheHostingOption()
    {
        var hosting = new Anomaly.ED.Hosting.DetectorModelOptions { Runtime = new RuntimeOptions { Device = torch.cuda.is_available() ? "cuda:99" : "cuda" } };
        var load = () => EdDetector.LoadNamed(Path.Combine(LegacyFolder, "v1-ed.edmodel"), hosting, "DetectorModelOptions.");

        load.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain("DetectorModelOptions.Runtime.Device is 'cuda").And.NotContain("LoadOptions");
    }

    [Fact]
    public void AModelFileRecordsNoDeviceAndLoadsOnTheCpu()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "model.edmodel");
        var probe = Path.Combine(LegacyFolder, "v1-probe.png");
        float expected;
        using (var detector = EdDetector.Load(Path.Combine(LegacyFolder, "v1-ed.edmodel")))
        {
            expected = detector.Predict(probe).Score;
            detector.Save(path, includeBackboneWeights: true);
        }

        // The safetensors header: per tensor only dtype, shape and offsets; no metadata value names a device.
        var bytes = File.ReadAllBytes(path);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes)));
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                entry.Value.EnumerateObject().Should().NotContain(m => m.Value.GetString()!.Contains("cuda", StringComparison.OrdinalIgnoreCase) || m.Name.Contains("device", StringComparison.OrdinalIgnoreCase));
            }
            else
            {
                entry.Value.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(["dtype", "shape", "data_offsets"], entry.Name);
            }
        }

        using var loaded = EdDetector.Load(path, new LoadOptions { Runtime = new RuntimeOptions { Device = "cpu" } });
        loaded.Device.type.Should().Be(DeviceType.CPU);
        loaded.Predict(probe).Score.Should().Be(expected);
    }

    [Fact]
    public void WeightsOfAnotherArchitectureAreAMismatchListingTheKeys()
    {
        using var folder = new TempDirectory();
        var resnet18 = Path.Combine(AppContext.BaseDirectory, "Formats", "Data", "resnet18_layer1.pth");
        var wide = Path.Combine(folder.Path, "wide_resnet50_2_layer1.safetensors");
        using (var network = new ResNet(BackboneCatalog.Get("wide_resnet50_2"), stageCount: 1, includeClassifier: false))
        {
            SafetensorsWriter.Save(wide, network.OrderedStateDict());
        }

        // A model file (resnet18 to layer1) that does not embed its backbone, loaded with wide_resnet50_2 weights.
        var model = Path.Combine(folder.Path, "not-embedded.edmodel");
        using (var scope = torch.NewDisposeScope())
        {
            using var content = ModelFile.Load(Path.Combine(LegacyFolder, "v1-ed.edmodel"));
            var options = ModelOptionsCodec.Read(content, "v1-ed.edmodel");
            (options.Backbone.WeightsPath, options.Backbone.AllowUntrained) = (resnet18, false);
            ModelFile.Save(model, content with { Method = options.Method.ToString(), OptionsJson = ModelOptionsCodec.Write(options), OptionsVersion = ModelFile.FormatVersion, BackboneState = null, Backbone = content.Backbone with { Embedded = false } });
        }

        var build = () => new EdDetectorBuilder().WithBackbone("wide_resnet50_2", resnet18).WithImageSize(32)
            .WithLevels(["layer1"], [16]).WithNetwork(heads: 2, layers: 1).Build();
        var load = () => EdDetector.Load(model, new LoadOptions { BackboneWeightsPath = wide });

        build.Should().Throw<StateDictMismatchException>().Which.Message.Should().Contain("wide_resnet50_2").And.Contain("resnet18_layer1.pth").And.Contain("layer1.0.conv3.weight");
        var refused = load.Should().Throw<ModelFileException>().Which;
        refused.FilePath.Should().Be(model);
        refused.Message.Should().Contain(wide).And.Contain("resnet18");
        refused.InnerException.Should().BeOfType<StateDictMismatchException>();
    }
}

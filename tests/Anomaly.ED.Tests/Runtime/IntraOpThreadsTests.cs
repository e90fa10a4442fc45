using Anomaly.ED.Data;
using Anomaly.ED.Hosting;
using Anomaly.ED.Runtime;
using Anomaly.ED.Tests.Data;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace Anomaly.ED.Tests.Runtime;

/// <summary>The thread count is process-wide: these tests change it, so they run alone and restore it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadSettingCollection
{
    public const string Name = "Thread setting";
}

[Collection(ThreadSettingCollection.Name)]
public sealed class IntraOpThreadsTests : IDisposable
{
    private readonly int original = torch.get_num_threads();

    [Fact]
    public void PhysicalCoresAreCountedOnceAndNeverExceedTheProcessorsThisProcessMayUse()
    {
        var cores = IntraOpThreads.PhysicalCores();

        cores.Should().BeInRange(1, Environment.ProcessorCount);
        if (OperatingSystem.IsLinux())
        {
            var pairs = File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("core id", StringComparison.Ordinal));
            cores.Should().BeLessThanOrEqualTo(Math.Max(pairs, 1));
        }
    }

    [Fact]
    public void BuildingSetsTheRequestedCountAndZeroKeepsTheProcessSetting()
    {
        using (Tiny().UseIntraOpThreads(1).Build())
        {
            torch.get_num_threads().Should().Be(1);
        }

        torch.set_num_threads(2);
        using (Tiny().UseIntraOpThreads(0).Build())
        {
            torch.get_num_threads().Should().Be(2, "0 leaves the process's own setting");
        }

        using (Tiny().Build())
        {
            torch.get_num_threads().Should().Be(IntraOpThreads.PhysicalCores(), "the default is one thread per physical core");
        }
    }

    [Fact]
    public void LoadingAppliesTheLoadOptionsCount()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "model.edmodel");
        using (var detector = new EdDetectorBuilder().UseHetmm("default").WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(32).Build())
        {
            detector.AddNormalImages(new Anomaly.ED.Data.ImageDataset("one", [NormalImage(folder.Path)]));
            detector.Save(path);
        }

        using (EdDetector.Load(path, new LoadOptions { Runtime = new RuntimeOptions { IntraOpThreads = 1 } }))
        {
            torch.get_num_threads().Should().Be(1);
        }

        var negative = () => EdDetector.Load(path, new LoadOptions { Runtime = new RuntimeOptions { IntraOpThreads = -1 } });
        negative.Should().Throw<ArgumentException>().WithMessage("*LoadOptions.Runtime.IntraOpThreads = -1*");
    }

    [Fact]
    public void ANegativeCountIsRefusedByEveryOptionsCheck()
    {
        var build = () => Tiny().UseIntraOpThreads(-2).Build();
        build.Should().Throw<OptionsValidationException>().WithMessage("*Runtime.IntraOpThreads = -2*");

        var hosting = new DetectorModelOptionsValidator().Validate(null, new DetectorModelOptions { ModelPath = "missing.edmodel", Runtime = new RuntimeOptions { IntraOpThreads = -1 } });
        hosting.Failures.Should().Contain(f => f.Contains("IntraOpThreads = -1", StringComparison.Ordinal));
    }

    public void Dispose() => torch.set_num_threads(original);

    private static EdDetectorBuilder Tiny() => new EdDetectorBuilder()
        .WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(32)
        .WithLevels(["layer1"], [16]).WithNetwork(heads: 2, layers: 1);

    private static Anomaly.ED.Data.DatasetItem NormalImage(string folder)
    {
        var path = Path.Combine(folder, "normal.png");
        Anomaly.ED.Visualization.PngFile.Write(new Anomaly.ED.Data.ImageBuffer(32, 32, 3, new byte[32 * 32 * 3]), path);
        return new Anomaly.ED.Data.DatasetItem(path, Anomaly.ED.Data.AnomalyLabel.Normal, "good", null);
    }
}

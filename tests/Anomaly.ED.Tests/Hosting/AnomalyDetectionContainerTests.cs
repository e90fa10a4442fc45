using Anomaly.ED.Tests.TestSupport;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Tests.Detector;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.Tests.Hosting;

/// <summary>Detectors built or loaded by the container: lifetime, disposal, logging and model files.</summary>
[Collection(DetectorCollection.Name)]
public sealed class AnomalyDetectionContainerTests
{
    private readonly TinyDetectorFixture fixture;

    public AnomalyDetectionContainerTests(TinyDetectorFixture fixture) => this.fixture = fixture;

    [Fact]
    public void TheDetectorIsASingletonBuiltFromTheBoundOptionsAndDisposedWithTheProvider()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AnomalyDetection:Backbone:Name"] = "resnet18",
            ["AnomalyDetection:Backbone:AllowUntrained"] = "true",
            ["AnomalyDetection:Backbone:ImageHeight"] = "64",
            ["AnomalyDetection:Backbone:ImageWidth"] = "64",
            ["AnomalyDetection:Backbone:Levels:0"] = "layer2",
            ["AnomalyDetection:Backbone:Levels:1"] = "layer3",
            ["AnomalyDetection:Ed:Network:ModelDimensions:0"] = "32",
            ["AnomalyDetection:Ed:Network:ModelDimensions:1"] = "32",
            ["AnomalyDetection:Ed:Network:Heads"] = "4",
            ["AnomalyDetection:Ed:Network:Layers"] = "1",
            ["AnomalyDetection:Ed:Training:Epochs"] = "1",
            ["AnomalyDetection:Method"] = "Fod",
        }).Build().GetSection("AnomalyDetection");
        var provider = new ServiceCollection().AddAnomalyDetection(section).BuildServiceProvider();
        EdDetector detector;
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            detector = provider.GetRequiredService<EdDetector>();
            provider.GetRequiredService<EdDetector>().Should().BeSameAs(detector);
            using (var scope = provider.CreateScope())
            {
                scope.ServiceProvider.GetRequiredService<EdDetector>().Should().BeSameAs(detector);
            }

            detector.IsFitted.Should().BeFalse("a detector built from options is fitted by the application");
            var options = detector.Options;
            (options.Backbone.Name, options.Backbone.ImageHeight, options.Method, options.EdSettings().Training.Epochs).Should().Be(("resnet18", 64, DetectorMethod.Fod, 1));
            options.Backbone.Levels.Should().Equal(["layer2", "layer3"]);
            detector.Stages.Select(s => s.Name).Should().Equal(["layer2", "layer3"]);
        }
        finally
        {
            provider.Dispose();
        }

        var use = () => detector.Fit(fixture.Training);
        use.Should().Throw<ObjectDisposedException>("the container owns the singleton and disposes it");
    }

    [Fact]
    public void LogMessagesGoToTheRegisteredLoggerFactory()
    {
        var logs = new CollectingLoggerProvider();
        using var provider = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace))
            .AddAnomalyDetection(ConfigureTiny)
            .BuildServiceProvider();

        var detector = provider.GetRequiredService<EdDetector>();
        detector.Fit(fixture.Training);

        var entries = logs.Entries.Where(e => e.Category == typeof(EdDetector).FullName).ToList();
        entries.Should().Contain(e => e.EventId.Id == 1002 && e.Level == LogLevel.Warning && e.Message.Contains("resnet18", StringComparison.Ordinal), "the untrained backbone is warned about");
        entries.Should().Contain(e => e.EventId.Id == 1001 && e.Message.Contains("levels layer2+layer3", StringComparison.Ordinal));
        logs.Entries.Should().Contain(e => e.EventId.Name == "TrainingStarted", "the detector keeps logging to the container's factory after it is built");
    }

    [Fact]
    public void AModelFileIsLoadedAtFirstResolutionAndPredictsAsTheSavedDetector()
    {
        var path = fixture.NewTempPath("served.edmodel");
        var logs = new CollectingLoggerProvider();
        var provider = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs))
            .AddAnomalyDetectionFromModel(path, o => o.Runtime.Device = "cpu")
            .AddAnomalyDetectionFromModel(path)
            .BuildServiceProvider();
        EdDetector loaded;
        try
        {
            // Written after registration: nothing reads the file before start.
            fixture.Detector.Save(path);
            provider.GetRequiredService<IStartupValidator>().Validate();
            logs.Entries.Should().NotContain(e => e.EventId.Name == "ModelLoaded", "validation only checks that the file exists");

            loaded = provider.GetRequiredService<EdDetector>();
            provider.GetRequiredService<EdDetector>().Should().BeSameAs(loaded);
            loaded.IsFitted.Should().BeTrue();
            var image = fixture.Test.Items[0].ImagePath;
            loaded.Predict(image).Score.Should().Be(fixture.Detector.Predict(image).Score);
            logs.Entries.Should().ContainSingle(e => e.EventId.Name == "ModelLoaded").Which.Message.Should().Contain(path);
        }
        finally
        {
            provider.Dispose();
        }

        var use = () => loaded.Predict(fixture.Test.Items[0].ImagePath);
        use.Should().Throw<ObjectDisposedException>();
        fixture.Detector.IsFitted.Should().BeTrue("disposing the loaded copy leaves the original alone");
    }

    [Fact]
    public void AFileThatIsNotAModelFailsAtResolutionNamingIt()
    {
        var path = fixture.NewTempPath("not-a-model.edmodel");
        File.WriteAllText(path, "not a model");
        using var provider = new ServiceCollection().AddAnomalyDetectionFromModel(path).BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var resolve = () => provider.GetRequiredService<EdDetector>();

        resolve.Should().Throw<ModelFileException>().Which.FilePath.Should().Be(path);
    }

    /// <summary>The configuration of <see cref="TinyDetectorFixture.NewBuilder"/> with one epoch.</summary>
    private static void ConfigureTiny(DetectorOptions o)
    {
        o.Backbone.Name = "resnet18";
        o.Backbone.AllowUntrained = true;
        (o.Backbone.ImageHeight, o.Backbone.ImageWidth) = (64, 64);
        (o.Backbone.Levels, o.EdSettings().Network.ModelDimensions) = (["layer2", "layer3"], [32, 32]);
        (o.EdSettings().Network.Heads, o.EdSettings().Network.Layers) = (4, 1);
        (o.EdSettings().Training.Epochs, o.EdSettings().Training.BatchSize, o.EdSettings().Training.LearningRate, o.Seed) = (1, 4, 1e-3, 5);
    }
}

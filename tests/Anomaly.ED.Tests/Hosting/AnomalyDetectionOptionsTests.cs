using Anomaly.ED.Tests.TestSupport;
using Anomaly.ED.Hosting;
using Anomaly.ED.Methods.Ed.Training;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Tests.Data;
using Anomaly.ED.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.Tests.Hosting;

/// <summary>Registration, configuration binding and start-time validation; no detector is built here.</summary>
public sealed class AnomalyDetectionOptionsTests
{
    [Fact]
    public void BindsScalarsEnumsAndListsFromConfiguration()
    {
        var section = Section(new()
        {
            ["AnomalyDetection:Backbone:Name"] = "resnet18",
            ["AnomalyDetection:Backbone:AllowUntrained"] = "true",
            ["AnomalyDetection:Backbone:Levels:0"] = "layer1",
            ["AnomalyDetection:Ed:Network:ModelDimensions:0"] = "64",
            ["AnomalyDetection:Method"] = "Fod",
            ["AnomalyDetection:Ed:Network:Score"] = "Reconstruction",
            ["AnomalyDetection:Ed:Training:StepMode"] = "Joint",
            ["AnomalyDetection:Ed:Network:Dropout"] = "0.25",
            ["AnomalyDetection:Backbone:ImageHeight"] = "96",
            ["AnomalyDetection:Runtime:Device"] = "cuda:1",
        });
        using var provider = new ServiceCollection().AddAnomalyDetection(section).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<DetectorOptions>>().Value;

        options.Backbone.Name.Should().Be("resnet18");
        options.Backbone.AllowUntrained.Should().BeTrue();
        options.Backbone.Levels.Should().Equal(["layer1"], "a configured list replaces the default instead of being appended to it");
        options.EdSettings().Network.ModelDimensions.Should().Equal([64]);
        options.Method.Should().Be(DetectorMethod.Fod);
        options.EdSettings().Network.Score.Should().Be(AnomalyScoreKind.Reconstruction);
        options.EdSettings().Training.StepMode.Should().Be(EdStepMode.Joint);
        options.EdSettings().Network.Dropout.Should().Be(0.25);
        options.Backbone.ImageHeight.Should().Be(96);
        options.Backbone.ImageWidth.Should().Be(new BackboneOptions().ImageWidth, "keys absent from the section keep their defaults");
        options.Runtime.Device.Should().Be("cuda:1");
    }

    [Fact]
    public void ListsAbsentFromTheSectionKeepEarlierConfiguration()
    {
        var section = Section(new() { ["AnomalyDetection:Ed:Training:Epochs"] = "7" });
        using var provider = new ServiceCollection()
            .AddAnomalyDetection(o => (o.Backbone.Levels, o.EdSettings().Network.ModelDimensions, o.Backbone.AllowUntrained) = (["layer3"], [64], true))
            .AddAnomalyDetection(section)
            .BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<DetectorOptions>>().Value;

        options.Backbone.Levels.Should().Equal(["layer3"]);
        options.EdSettings().Network.ModelDimensions.Should().Equal([64]);
        options.EdSettings().Training.Epochs.Should().Be(7);
    }

    [Fact]
    public void AMisspeltKeyIsAnErrorNamingIt()
    {
        var section = Section(new() { ["AnomalyDetection:Epoch"] = "7", ["AnomalyDetection:Backbone:AllowUntrained"] = "true" });
        using var provider = new ServiceCollection().AddAnomalyDetection(section).BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<InvalidOperationException>().WithMessage("*'Epoch'*");
    }

    [Fact]
    public void AValueOfTheWrongTypeIsAnErrorNamingTheKey()
    {
        var section = Section(new() { ["AnomalyDetection:Ed:Training:Epochs"] = "many", ["AnomalyDetection:Backbone:AllowUntrained"] = "true" });
        using var provider = new ServiceCollection().AddAnomalyDetection(section).BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<InvalidOperationException>().WithMessage("*AnomalyDetection:Ed:Training:Epochs*");
    }

    [Fact]
    public void InvalidOptionsFailAtStartListingEveryProblem()
    {
        using var provider = new ServiceCollection()
            .AddAnomalyDetection(o =>
            {
                o.Backbone.Name = "resnet7";
                o.EdSettings().Network.Heads = 0;
                o.EdSettings().Training.Epochs = -1;
                o.Runtime.Device = "tpu";
            })
            .BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        var failures = start.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().Contain(f => f.Contains("Backbone.Name 'resnet7' is unknown", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("Network.Heads = 0", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("Training.Epochs = -1", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("Runtime.Device 'tpu'", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("Backbone.AllowUntrained", StringComparison.Ordinal), "no backbone weights are configured either");
        var resolve = () => provider.GetRequiredService<IOptions<DetectorOptions>>().Value;
        resolve.Should().Throw<OptionsValidationException>("resolving the options outside a host validates them too");
    }

    [Fact]
    public void RepeatedRegistrationIsHarmless()
    {
        var section = Section(new() { ["AnomalyDetection:Ed:Network:Heads"] = "0" });
        var services = new ServiceCollection();
        services.AddAnomalyDetection().AddAnomalyDetection(o => o.EdSettings().Training.Epochs = 3).AddAnomalyDetection(section).AddAnomalyDetection(o => o.Seed = 9);

        services.Count(d => d.ServiceType == typeof(EdDetector)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IValidateOptions<DetectorOptions>)).Should().Be(1);
        using var provider = services.BuildServiceProvider();
        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();
        var failures = start.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().OnlyHaveUniqueItems().And.HaveCount(2, "Heads = 0 and no backbone weights, each reported once");

        services.AddAnomalyDetection(o => (o.EdSettings().Network.Heads, o.Backbone.AllowUntrained) = (4, true));
        using var fixedProvider = services.BuildServiceProvider();
        fixedProvider.GetRequiredService<IStartupValidator>().Validate();
        var options = fixedProvider.GetRequiredService<IOptions<DetectorOptions>>().Value;
        (options.EdSettings().Training.Epochs, options.Seed, options.EdSettings().Network.Heads).Should().Be((3, 9, 4), "every configuration step applies, in registration order");
    }

    [Fact]
    public void BuildingFromOptionsAndLoadingAModelCannotBeMixed()
    {
        var build = () => new ServiceCollection().AddAnomalyDetection().AddAnomalyDetectionFromModel("model.edmodel");
        build.Should().Throw<InvalidOperationException>().WithMessage("AddAnomalyDetectionFromModel was called after AddAnomalyDetection*register only one*");

        var load = () => new ServiceCollection().AddAnomalyDetectionFromModel("model.edmodel").AddAnomalyDetection(o => o.EdSettings().Training.Epochs = 1);
        load.Should().Throw<InvalidOperationException>().WithMessage("AddAnomalyDetection was called after AddAnomalyDetectionFromModel*");
    }

    [Fact]
    public void AMissingModelFileFailsAtStartNamingIt()
    {
        using var folder = new TempDirectory();
        var missing = folder.Combine("missing.edmodel");
        using var provider = new ServiceCollection()
            .AddAnomalyDetectionFromModel(missing, o => o.Runtime.Device = "gpu")
            .BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        var failures = start.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().HaveCount(2);
        failures.Should().Contain($"ModelPath '{missing}' does not exist (looked for '{missing}').");
        failures.Should().Contain("Runtime:Device 'gpu' is not 'cpu', 'cuda' or 'cuda:N'.");
    }

    [Fact]
    public void ModelSettingsBindFromConfigurationAndAreValidated()
    {
        using var folder = new TempDirectory();
        var model = folder.Write("model.edmodel", [1, 2, 3]);
        var section = Section(new()
        {
            ["AnomalyDetection:ModelPath"] = model,
            ["AnomalyDetection:Runtime:Device"] = "cuda",
            ["AnomalyDetection:Runtime:AllowDownload"] = "true",
            ["AnomalyDetection:BackboneWeightsPath"] = folder.Combine("absent.safetensors"),
        });
        using var provider = new ServiceCollection().AddAnomalyDetectionFromModel(section).BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith($"BackboneWeightsPath '{folder.Combine("absent.safetensors")}' does not exist");
        var options = provider.GetRequiredService<IOptionsMonitor<DetectorModelOptions>>();
        var read = () => options.CurrentValue;
        read.Should().Throw<OptionsValidationException>();

        var valid = Section(new() { ["AnomalyDetection:ModelPath"] = model, ["AnomalyDetection:Runtime:Device"] = "cuda", ["AnomalyDetection:Runtime:AllowDownload"] = "true" });
        using var validProvider = new ServiceCollection().AddAnomalyDetectionFromModel(valid).BuildServiceProvider();
        validProvider.GetRequiredService<IStartupValidator>().Validate();
        var bound = validProvider.GetRequiredService<IOptions<DetectorModelOptions>>().Value;
        (bound.ModelPath, bound.Runtime.Device, bound.Runtime.AllowDownload, bound.BackboneWeightsPath).Should().Be((model, "cuda", true, (string?)null));
    }

    [Fact]
    public void AModelSectionWithoutAPathFailsAtStart()
    {
        using var provider = new ServiceCollection()
            .AddAnomalyDetectionFromModel(Section(new() { ["AnomalyDetection:Runtime:Device"] = "cpu" }))
            .BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<OptionsValidationException>().Which.Failures.Should()
            .Equal("ModelPath is not set; give the model file written by EdDetector.Save.");
    }

    [Fact]
    public void AHetmmSectionGetsHetmmsReferenceBackboneAndAnotherMethodsGroupIsRefused()
    {
        var hetmm = Section(new() { ["AnomalyDetection:Method"] = "Hetmm", ["AnomalyDetection:Hetmm:Preset"] = "bottle", ["AnomalyDetection:Backbone:AllowUntrained"] = "true" });
        using var provider = new ServiceCollection().AddAnomalyDetection(hetmm).BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<DetectorOptions>>().Value;
        (options.Ed, options.Backbone.Name, options.Backbone.Levels).Should().Be((null, null, null), "nothing else was configured");
        var completed = DetectorOptionsValidator.Completed(options);
        (completed.Backbone.Name, completed.Hetmm!.Preset).Should().Be(("wide_resnet101_2", "bottle"));
        completed.Backbone.Levels.Should().Equal(["layer1", "layer2", "layer3"]);

        var mixed = Section(new() { ["AnomalyDetection:Method"] = "Ed", ["AnomalyDetection:Hetmm:Preset"] = "bottle", ["AnomalyDetection:Backbone:AllowUntrained"] = "true" });
        using var refused = new ServiceCollection().AddAnomalyDetection(mixed).BuildServiceProvider();
        var start = () => refused.GetRequiredService<IStartupValidator>().Validate();
        start.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith("Hetmm holds HETMM settings but Method is Ed");
    }

    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("AnomalyDetection");
}

using Anomaly.ED.Hosting;
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
            ["AnomalyDetection:Backbone"] = "resnet18",
            ["AnomalyDetection:AllowUntrainedBackbone"] = "true",
            ["AnomalyDetection:Levels:0"] = "layer1",
            ["AnomalyDetection:ModelDimensions:0"] = "64",
            ["AnomalyDetection:Variant"] = "Fod",
            ["AnomalyDetection:Score"] = "Reconstruction",
            ["AnomalyDetection:StepMode"] = "Joint",
            ["AnomalyDetection:Dropout"] = "0.25",
            ["AnomalyDetection:ImageHeight"] = "96",
            ["AnomalyDetection:Device"] = "cuda:1",
        });
        using var provider = new ServiceCollection().AddAnomalyDetection(section).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<EdOptions>>().Value;

        options.Backbone.Should().Be("resnet18");
        options.AllowUntrainedBackbone.Should().BeTrue();
        options.Levels.Should().Equal(["layer1"], "a configured list replaces the default instead of being appended to it");
        options.ModelDimensions.Should().Equal([64]);
        options.Variant.Should().Be(EdVariant.Fod);
        options.Score.Should().Be(AnomalyScoreKind.Reconstruction);
        options.StepMode.Should().Be(EdStepMode.Joint);
        options.Dropout.Should().Be(0.25);
        options.ImageHeight.Should().Be(96);
        options.ImageWidth.Should().Be(EdDefaults.ImageSize, "keys absent from the section keep their defaults");
        options.Device.Should().Be("cuda:1");
    }

    [Fact]
    public void ListsAbsentFromTheSectionKeepEarlierConfiguration()
    {
        var section = Section(new() { ["AnomalyDetection:Epochs"] = "7" });
        using var provider = new ServiceCollection()
            .AddAnomalyDetection(o => (o.Levels, o.ModelDimensions, o.AllowUntrainedBackbone) = (["layer3"], [64], true))
            .AddAnomalyDetection(section)
            .BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<EdOptions>>().Value;

        options.Levels.Should().Equal(["layer3"]);
        options.ModelDimensions.Should().Equal([64]);
        options.Epochs.Should().Be(7);
    }

    [Fact]
    public void AMisspeltKeyIsAnErrorNamingIt()
    {
        var section = Section(new() { ["AnomalyDetection:Epoch"] = "7", ["AnomalyDetection:AllowUntrainedBackbone"] = "true" });
        using var provider = new ServiceCollection().AddAnomalyDetection(section).BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<InvalidOperationException>().WithMessage("*'Epoch'*");
    }

    [Fact]
    public void AValueOfTheWrongTypeIsAnErrorNamingTheKey()
    {
        var section = Section(new() { ["AnomalyDetection:Epochs"] = "many", ["AnomalyDetection:AllowUntrainedBackbone"] = "true" });
        using var provider = new ServiceCollection().AddAnomalyDetection(section).BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<InvalidOperationException>().WithMessage("*AnomalyDetection:Epochs*");
    }

    [Fact]
    public void InvalidOptionsFailAtStartListingEveryProblem()
    {
        using var provider = new ServiceCollection()
            .AddAnomalyDetection(o =>
            {
                o.Backbone = "resnet7";
                o.Heads = 0;
                o.Epochs = -1;
                o.Device = "tpu";
            })
            .BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        var failures = start.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().Contain(f => f.Contains("Backbone 'resnet7' is unknown", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("Heads = 0", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("Epochs = -1", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("Device 'tpu'", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("AllowUntrainedBackbone", StringComparison.Ordinal), "no backbone weights are configured either");
        var resolve = () => provider.GetRequiredService<IOptions<EdOptions>>().Value;
        resolve.Should().Throw<OptionsValidationException>("resolving the options outside a host validates them too");
    }

    [Fact]
    public void RepeatedRegistrationIsHarmless()
    {
        var section = Section(new() { ["AnomalyDetection:Heads"] = "0" });
        var services = new ServiceCollection();
        services.AddAnomalyDetection().AddAnomalyDetection(o => o.Epochs = 3).AddAnomalyDetection(section).AddAnomalyDetection(o => o.Seed = 9);

        services.Count(d => d.ServiceType == typeof(EdDetector)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IValidateOptions<EdOptions>)).Should().Be(1);
        using var provider = services.BuildServiceProvider();
        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();
        var failures = start.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().OnlyHaveUniqueItems().And.HaveCount(2, "Heads = 0 and no backbone weights, each reported once");

        services.AddAnomalyDetection(o => (o.Heads, o.AllowUntrainedBackbone) = (4, true));
        using var fixedProvider = services.BuildServiceProvider();
        fixedProvider.GetRequiredService<IStartupValidator>().Validate();
        var options = fixedProvider.GetRequiredService<IOptions<EdOptions>>().Value;
        (options.Epochs, options.Seed, options.Heads).Should().Be((3, 9, 4), "every configuration step applies, in registration order");
    }

    [Fact]
    public void BuildingFromOptionsAndLoadingAModelCannotBeMixed()
    {
        var build = () => new ServiceCollection().AddAnomalyDetection().AddAnomalyDetectionFromModel("model.edmodel");
        build.Should().Throw<InvalidOperationException>().WithMessage("AddAnomalyDetectionFromModel was called after AddAnomalyDetection*register only one*");

        var load = () => new ServiceCollection().AddAnomalyDetectionFromModel("model.edmodel").AddAnomalyDetection(o => o.Epochs = 1);
        load.Should().Throw<InvalidOperationException>().WithMessage("AddAnomalyDetection was called after AddAnomalyDetectionFromModel*");
    }

    [Fact]
    public void AMissingModelFileFailsAtStartNamingIt()
    {
        using var folder = new TempDirectory();
        var missing = folder.Combine("missing.edmodel");
        using var provider = new ServiceCollection()
            .AddAnomalyDetectionFromModel(missing, o => o.Device = "gpu")
            .BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        var failures = start.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().HaveCount(2);
        failures.Should().Contain($"ModelPath '{missing}' does not exist (looked for '{missing}').");
        failures.Should().Contain("Device 'gpu' is not 'cpu', 'cuda' or 'cuda:N'.");
    }

    [Fact]
    public void ModelSettingsBindFromConfigurationAndAreValidated()
    {
        using var folder = new TempDirectory();
        var model = folder.Write("model.edmodel", [1, 2, 3]);
        var section = Section(new()
        {
            ["AnomalyDetection:ModelPath"] = model,
            ["AnomalyDetection:Device"] = "cuda",
            ["AnomalyDetection:AllowDownload"] = "true",
            ["AnomalyDetection:BackboneWeightsPath"] = folder.Combine("absent.safetensors"),
        });
        using var provider = new ServiceCollection().AddAnomalyDetectionFromModel(section).BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith($"BackboneWeightsPath '{folder.Combine("absent.safetensors")}' does not exist");
        var options = provider.GetRequiredService<IOptionsMonitor<EdModelOptions>>();
        var read = () => options.CurrentValue;
        read.Should().Throw<OptionsValidationException>();

        var valid = Section(new() { ["AnomalyDetection:ModelPath"] = model, ["AnomalyDetection:Device"] = "cuda", ["AnomalyDetection:AllowDownload"] = "true" });
        using var validProvider = new ServiceCollection().AddAnomalyDetectionFromModel(valid).BuildServiceProvider();
        validProvider.GetRequiredService<IStartupValidator>().Validate();
        var bound = validProvider.GetRequiredService<IOptions<EdModelOptions>>().Value;
        (bound.ModelPath, bound.Device, bound.AllowDownload, bound.BackboneWeightsPath).Should().Be((model, "cuda", true, (string?)null));
    }

    [Fact]
    public void AModelSectionWithoutAPathFailsAtStart()
    {
        using var provider = new ServiceCollection()
            .AddAnomalyDetectionFromModel(Section(new() { ["AnomalyDetection:Device"] = "cpu" }))
            .BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<OptionsValidationException>().Which.Failures.Should()
            .Equal("ModelPath is not set; give the model file written by EdDetector.Save.");
    }

    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("AnomalyDetection");
}

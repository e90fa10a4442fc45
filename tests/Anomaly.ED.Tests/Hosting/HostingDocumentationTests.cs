using Anomaly.ED.Tests.TestSupport;
using System.Text.RegularExpressions;
using System.Text;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Pretrained;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.Tests.Hosting;

/// <summary>The JSON examples of docs/hosting.md bind and validate as the document says.</summary>
public sealed partial class HostingDocumentationTests
{
    [Fact]
    public void TheTrainingExampleBindsAndValidates()
    {
        var section = Section(JsonBlocks()[0]);
        using var provider = new ServiceCollection().AddAnomalyDetection(section).BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<DetectorOptions>>().Value;

        (options.Backbone.Name, options.Backbone.PretrainedCheckpoint, options.Method, options.EdSettings().Network.Score, options.Runtime.Device)
            .Should().Be(("wide_resnet50_2", "wide_resnet50_2.tv_in1k", DetectorMethod.Ed, AnomalyScoreKind.ReconstructionTimesInter, "cuda"));
        options.Backbone.Levels.Should().Equal(["layer2", "layer3"]);
        options.EdSettings().Network.ModelDimensions.Should().Equal([256, 512]);
    }

    [Fact]
    public void TheDocumentedValidationMessageIsTheOneProduced()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(JsonBlocks()[0])))
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AnomalyDetection:Backbone:Name"] = "resnet7",
                ["AnomalyDetection:Ed:Network:Heads"] = "0",
                ["AnomalyDetection:Ed:Training:Epochs"] = "-1",
            })
            .Build();
        using var provider = new ServiceCollection().AddAnomalyDetection(configuration.GetSection("AnomalyDetection")).BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        var documented = DocumentedMessage().Match(Document()).Groups[1].Value.Split("...");
        documented.Should().HaveCount(2);
        var message = start.Should().Throw<OptionsValidationException>().Which.Message;
        message.Should().StartWith(documented[0]).And.EndWith(documented[1]);
    }

    [Fact]
    public void TheServingExampleBindsAndFailsAtStartWhenTheModelIsAbsent()
    {
        var section = Section(JsonBlocks()[1]);
        using var provider = new ServiceCollection().AddAnomalyDetectionFromModel(section).BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith("ModelPath 'models/bottle.edmodel' does not exist (looked for '");
    }

    private static IConfigurationSection Section(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("AnomalyDetection");

    private static List<string> JsonBlocks() =>
        JsonBlock().Matches(Document()).Select(m => m.Groups[1].Value).ToList();

    private static string Document()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "docs", "hosting.md");
            if (File.Exists(path))
            {
                return File.ReadAllText(path);
            }
        }

        throw new FileNotFoundException("docs/hosting.md was not found above the test output folder.");
    }

    [GeneratedRegex(@"```json\r?\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex(@"```\r?\n(Backbone.Name 'resnet7'.*?)\r?\n```", RegexOptions.Singleline)]
    private static partial Regex DocumentedMessage();
}

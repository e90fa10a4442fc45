using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>The library in an application of its own: registration from configuration, a route prefix, validation.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class EmbeddingTests(ServiceFixture fixture)
{
    [Fact]
    public async Task AnApplicationMapsTheServiceUnderItsPrefixFromConfiguration()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inspection:Models:0:Path"] = fixture.ModelPath,
            ["Inspection:Models:0:Name"] = "line3",
            ["Inspection:MaxBatchSize"] = "2",
        });
        builder.Services.AddAnomalyDetectionService(builder.Configuration.GetSection("Inspection")).AddEdModelFiles();
        builder.Services.AddAnomalyDetectionService().AddEdModelFiles();   // repeated calls are harmless
        await using var app = builder.Build();
        app.MapGet("/", () => "the application's own page");
        app.MapAnomalyDetection("/inspection");
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()) };

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await client.GetAsync("/inspection/readyz")).StatusCode != HttpStatusCode.OK)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the model should load within a minute");
            await Task.Delay(50);
        }

        (await client.GetStringAsync("/")).Should().Be("the application's own page");
        var models = await client.GetFromJsonAsync<JsonElement>("/inspection/v1/models");
        models.EnumerateArray().Select(m => m.GetProperty("name").GetString()).Should().Equal("line3");
        using var response = await client.PostAsync("/inspection/v1/models/line3/predict", ServiceFixture.Image(await File.ReadAllBytesAsync(fixture.Images[0])));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetStringAsync("/inspection/")).Should().Contain("app.js");
        await app.StopAsync();
    }

    [Fact]
    public void InvalidOptionsAreReportedTogetherAtStart()
    {
        var services = new ServiceCollection().AddLogging().AddEdModelFiles();
        services.AddAnomalyDetectionService(o =>
        {
            o.Models.Add(new ServedModelOptions { Path = fixture.ModelPath, Name = "a/b" });
            o.Models.Add(new ServedModelOptions { Path = fixture.ModelPath, Name = "x" });
            o.Models.Add(new ServedModelOptions { Path = fixture.ModelPath, Name = "X" });
            o.QueueCapacity = 0;
            o.Runtime.Device = "tpu";
        });
        using var provider = services.BuildServiceProvider();
        var error = provider.Invoking(p => p.GetRequiredService<IOptions<AnomalyDetectionServiceOptions>>().Value).Should().Throw<OptionsValidationException>().Which.Message;
        error.Should().Contain("'a/b' is not a valid model name").And.Contain("'X' is used by another model").And.Contain("QueueCapacity = 0").And.Contain("Runtime.Device 'tpu'");
    }

    [Fact]
    public void MappingWithoutRegistrationSaysWhatIsMissing()
    {
        var app = WebApplication.CreateSlimBuilder().Build();
        app.Invoking(a => a.MapAnomalyDetection()).Should().Throw<InvalidOperationException>().WithMessage("*AddAnomalyDetectionService*");
    }
}

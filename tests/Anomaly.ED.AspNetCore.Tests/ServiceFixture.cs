using System.Net.Http.Headers;
using Anomaly.ED.Cli.Commands;
using Anomaly.ED.Cli.Serving;
using Anomaly.ED.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>
/// A tiny calibrated model (resnet18 untrained, 64x64, one epoch of ED) saved once, served by the tool's own host on a
/// real Kestrel at 127.0.0.1 on a free port, twice (as 'bottle' and 'copy'), and the same model in-process for reference.
/// </summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "anomaly-ed-service-tests", Guid.NewGuid().ToString("N"));

    public string ModelPath => Path.Combine(Root, "bottle.edmodel");

    /// <summary>Test images of the synthetic set: normal ones first, then defective ones.</summary>
    public IReadOnlyList<string> Images { get; private set; } = [];

    public EdDetector Detector { get; private set; } = null!;

    public WebApplication App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        SyntheticDefectDataset.Generate(Root, size: 64, trainCount: 8, testNormalCount: 4, testDefectsPerType: 2, seed: 3);
        var test = SyntheticDefectDataset.OpenTest(Root);
        Images = [.. test.Items.OrderBy(i => i.IsDefective).Select(i => i.ImagePath)];
        Detector = new EdDetectorBuilder()
            .WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(64)
            .WithLevels(["layer2", "layer3"], [32, 32]).WithNetwork(heads: 4, layers: 1)
            .WithEpochs(1).WithBatchSize(4).WithSeed(5)
            .Build();
        Detector.Fit(SyntheticDefectDataset.OpenTraining(Root));
        Detector.CalibrateFromNormals(SyntheticDefectDataset.OpenTraining(Root), falsePositiveRate: 0.1);
        Detector.Save(ModelPath);
        (App, Client) = await StartAsync(new ServeSettings { Models = [ModelPath, ModelPath], Names = ["bottle", "copy"], Urls = "http://127.0.0.1:0" });
    }

    /// <summary>Starts the tool's host with these settings and waits until its models are ready.</summary>
    internal static async Task<(WebApplication App, HttpClient Client)> StartAsync(ServeSettings settings)
    {
        var app = ServeHost.Build(settings, _ => { });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await client.GetAsync("/readyz")).StatusCode != System.Net.HttpStatusCode.OK)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the models should load within a minute");
            await Task.Delay(50);
        }

        return (app, client);
    }

    public static ByteArrayContent Image(byte[] bytes, string contentType = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        Detector.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServiceTestCollection : ICollectionFixture<ServiceFixture>
{
    public const string Name = "Service";
}

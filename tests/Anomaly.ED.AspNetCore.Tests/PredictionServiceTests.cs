using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Anomaly.ED.Data;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>Every endpoint of the service over a real Kestrel on loopback, compared with the same model in-process.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class PredictionServiceTests(ServiceFixture fixture)
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task HealthAndReadinessAnswer()
    {
        (await Client.GetStringAsync("/healthz")).Should().Be("Healthy");
        (await Client.GetStringAsync("/readyz")).Should().Be("Healthy");
    }

    [Fact]
    public async Task ModelsAreListedAndDescribedByNameWithoutLocalPaths()
    {
        var models = await Client.GetFromJsonAsync<JsonElement>("/v1/models");
        models.EnumerateArray().Select(m => m.GetProperty("name").GetString()).Should().Equal("bottle", "copy");
        models[0].GetProperty("state").GetString().Should().Be("ready");
        models[0].GetProperty("threshold").GetDouble().Should().BeApproximately(fixture.Detector.Calibration!.Threshold, 1e-9);

        var text = await Client.GetStringAsync("/v1/models/bottle");
        text.Should().NotContain(fixture.Root, "requests learn nothing of the file system");
        var details = JsonDocument.Parse(text).RootElement.GetProperty("details");
        details.GetProperty("file").GetString().Should().Be("bottle.edmodel");
        details.GetProperty("method").GetString().Should().Be("ED");
        details.GetProperty("backbone").GetString().Should().Be("resnet18");
        details.GetProperty("inputHeight").GetInt32().Should().Be(64);
        details.GetProperty("settings").EnumerateObject().Should().NotBeEmpty();
    }

    [Fact]
    public async Task OneImageIsScoredAsTheLibraryScoresIt()
    {
        var bytes = await File.ReadAllBytesAsync(fixture.Images[^1]);
        var expected = fixture.Detector.Predict(bytes);

        using var response = await Client.PostAsync("/v1/models/bottle/predict", ServiceFixture.Image(bytes));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var image = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images").EnumerateArray().Single();
        image.GetProperty("score").GetSingle().Should().BeApproximately(expected.Score, 1e-4f);
        image.GetProperty("normalizedScore").GetSingle().Should().BeApproximately(expected.NormalizedScore!.Value, 1e-4f);
        image.GetProperty("isAnomalous").GetBoolean().Should().Be(expected.IsAnomalous!.Value);
        image.GetProperty("threshold").GetDouble().Should().Be(fixture.Detector.Calibration!.Threshold);
        image.GetProperty("timing").GetProperty("batchSize").GetInt32().Should().BeGreaterThan(0);
        image.GetProperty("heatmap").ValueKind.Should().Be(JsonValueKind.Null, "heatmaps are sent only on request");
    }

    [Fact]
    public async Task HeatmapOverlayIsAPngOfTheImageSizeWithItsRange()
    {
        var bytes = await File.ReadAllBytesAsync(fixture.Images[0]);
        var result = await Client.PostAsync("/v1/models/bottle/predict?heatmap=true", ServiceFixture.Image(bytes));
        var heatmap = (await result.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images")[0].GetProperty("heatmap");
        var overlay = ImageDecoder.DecodeRgb(heatmap.GetProperty("png").GetBytesFromBase64(), "overlay");
        (overlay.Width, overlay.Height).Should().Be((64, 64));
        heatmap.GetProperty("high").GetDouble().Should().BeGreaterThan(heatmap.GetProperty("low").GetDouble());
        heatmap.GetProperty("colormap").GetString().Should().Be("jet");
    }

    [Fact]
    public async Task MultipartImagesAreScoredInOrderUnderTheirFileNames()
    {
        var paths = fixture.Images.Take(3).ToArray();
        using var form = new MultipartFormDataContent();
        foreach (var path in paths)
        {
            form.Add(ServiceFixture.Image(await File.ReadAllBytesAsync(path)), "images", Path.GetFileName(path));
        }

        using var response = await Client.PostAsync("/v1/models/copy/predict", form);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var images = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images").EnumerateArray().ToArray();
        images.Select(i => i.GetProperty("file").GetString()).Should().Equal(paths.Select(Path.GetFileName));
        images.Select(i => i.GetProperty("score").GetSingle()).Should().Equal(fixture.Detector.Predict(paths).Select(p => p.Score), (a, b) => Math.Abs(a - b) < 1e-4f);
    }

    [Fact]
    public async Task ConcurrentClientsEachGetTheirOwnResults()
    {
        var expected = fixture.Images.ToDictionary(p => p, p => fixture.Detector.Predict(p).Score);
        var requests = Enumerable.Range(0, 24).Select(async k =>
        {
            var path = fixture.Images[k % fixture.Images.Count];
            using var response = await Client.PostAsync("/v1/models/bottle/predict", ServiceFixture.Image(await File.ReadAllBytesAsync(path)));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var image = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images")[0];
            return (path, Score: image.GetProperty("score").GetSingle(), Batch: image.GetProperty("timing").GetProperty("batchSize").GetInt32());
        });
        var results = await Task.WhenAll(requests);
        results.Should().OnlyContain(r => Math.Abs(r.Score - expected[r.path]) < 1e-4f);
        results.Max(r => r.Batch).Should().BeGreaterThan(1, "concurrent requests are batched together");
    }

    [Fact]
    public async Task UnknownModelIsA404ProblemNamingIt()
    {
        using var response = await Client.PostAsync("/v1/models/..%2Fetc%2Fpasswd/predict", ServiceFixture.Image([1, 2, 3]));
        await ShouldBeProblem(response, HttpStatusCode.NotFound, "Unknown model");
        using var get = await Client.GetAsync("/v1/models/nope");
        (await ShouldBeProblem(get, HttpStatusCode.NotFound, "Unknown model")).Should().Contain("'nope'").And.Contain("'bottle'");
    }

    [Fact]
    public async Task OpenApiDocumentDescribesTheApi()
    {
        var document = await Client.GetStringAsync("/openapi/v1.json");
        document.Should().Contain("/v1/models/{name}/predict").And.Contain("/v1/models/{name}\"").And.Contain("image/png").And.Contain("multipart/form-data");
    }

    [Fact]
    public async Task MetricsArePublishedPerModelInPrometheusFormat()
    {
        await Client.PostAsync("/v1/models/bottle/predict", ServiceFixture.Image(await File.ReadAllBytesAsync(fixture.Images[0])));
        var metrics = await Client.GetStringAsync("/metrics");
        metrics.Should().MatchRegex("anomaly_ed_aspnetcore_requests\\{[^}]*model=\"bottle\"[^}]*status=\"200\"");
        metrics.Should().MatchRegex("anomaly_ed_aspnetcore_request_duration[a-z_]*_bucket\\{[^}]*model=\"bottle\"");
        metrics.Should().MatchRegex("anomaly_ed_aspnetcore_batch_size[a-z_]*_bucket\\{[^}]*model=\"bottle\"");
        metrics.Should().MatchRegex("anomaly_ed_aspnetcore_queue_length\\{[^}]*model=\"bottle\"");
    }

    [Fact]
    public async Task WebPageAndItsFilesAreServedFromTheAssembly()
    {
        (await Client.GetStringAsync("/")).Should().Contain("<script src=\"app.js\">");
        using var script = await Client.GetAsync("/app.js");
        script.Content.Headers.ContentType!.MediaType.Should().Be("text/javascript");
        var bar = ImageDecoder.DecodeRgb(await Client.GetByteArrayAsync("/colorbar.png"), "colorbar");
        bar.Width.Should().Be(256);
    }

    internal static async Task<string> ShouldBeProblem(HttpResponseMessage response, HttpStatusCode status, string title)
    {
        response.StatusCode.Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var text = await response.Content.ReadAsStringAsync();
        var problem = JsonDocument.Parse(text).RootElement;
        problem.GetProperty("status").GetInt32().Should().Be((int)status);
        problem.GetProperty("title").GetString().Should().Be(title);
        return problem.GetProperty("detail").GetString()!;
    }
}

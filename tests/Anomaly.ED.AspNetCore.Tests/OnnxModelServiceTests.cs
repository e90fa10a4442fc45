using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Anomaly.ED.Cli.Commands;
using Anomaly.ED.Data;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>An exported <c>.onnx</c> graph is hosted beside the model file it came from and answers as it does.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class OnnxModelServiceTests(ServiceFixture fixture)
{
    [Fact]
    public async Task AnExportedGraphIsServedWithTheScoresOfItsModelFile()
    {
        var onnx = Path.Combine(fixture.Root, "bottle.onnx");
        fixture.Detector.ExportOnnx(onnx);
        var (app, client) = await ServiceFixture.StartAsync(new ServeSettings { Models = [fixture.ModelPath, onnx], Names = ["file", "graph"], Urls = "http://127.0.0.1:0" });
        await using (app)
        using (client)
        {
            var model = await client.GetFromJsonAsync<JsonElement>("/v1/models/graph");
            model.GetProperty("kind").GetString().Should().Be("onnx");
            var details = model.GetProperty("details");
            details.GetProperty("file").GetString().Should().Be("bottle.onnx");
            (details.GetProperty("method").GetString(), details.GetProperty("backbone").GetString(), details.GetProperty("inputHeight").GetInt32()).Should().Be(("ED", "resnet18", 64));
            details.GetProperty("settings").EnumerateObject().Should().NotBeEmpty("the graph carries its model's options");

            foreach (var path in new[] { fixture.Images[0], fixture.Images[^1] })
            {
                var bytes = await File.ReadAllBytesAsync(path);
                var expected = fixture.Detector.Predict(bytes);
                using var response = await client.PostAsync("/v1/models/graph/predict?heatmap=true", ServiceFixture.Image(bytes));
                response.StatusCode.Should().Be(HttpStatusCode.OK);
                var image = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images").EnumerateArray().Single();
                image.GetProperty("score").GetSingle().Should().BeApproximately(expected.Score, Math.Abs(expected.Score) * 1e-5f);
                image.GetProperty("isAnomalous").GetBoolean().Should().Be(expected.IsAnomalous!.Value);
                var overlay = ImageDecoder.DecodeRgb(image.GetProperty("heatmap").GetProperty("png").GetBytesFromBase64(), "overlay");
                (overlay.Width, overlay.Height).Should().Be((64, 64));
            }
        }
    }
}

using System.Net;
using Anomaly.ED.Tests.Reliability;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>The library's image fuzzer (mutations and truncations of real JPEG and PNG files) pointed at the service: every
/// upload gets an answer the API documents, never a server error, and the service keeps serving.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class FuzzedUploadTests(ServiceFixture fixture)
{
    private static readonly HttpStatusCode[] Documented = [HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType];

    [Fact]
    public async Task MutatedUploadsAreAnsweredAndTheServiceKeepsServing()
    {
        var seeds = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fuzz", "Seeds"), "*.jpg")
            .Select(f => (Bytes: File.ReadAllBytes(f), Type: "image/jpeg"))
            .Append((Bytes: File.ReadAllBytes(fixture.Images[0]), Type: "image/png"))
            .ToArray();
        seeds.Should().HaveCountGreaterThan(1);
        var fuzzer = new MutationFuzzer(2206);
        var cases = seeds.SelectMany(s => MutationFuzzer.Truncations(s.Bytes, Enumerable.Range(0, 6).Select(i => s.Bytes.Length * i / 6)).Select(b => (b, s.Type)))
            .Concat(Enumerable.Range(0, 120).Select(i => seeds[i % seeds.Length]).Select(s => (fuzzer.Mutate(s.Bytes, 64), s.Type)))
            .ToArray();

        var statuses = new Dictionary<HttpStatusCode, int>();
        foreach (var (bytes, type) in cases)
        {
            using var response = await fixture.Client.PostAsync("/v1/models/bottle/predict", ServiceFixture.Image(bytes, type));
            response.StatusCode.Should().BeOneOf(Documented, $"a mutated {type} upload of {bytes.Length} bytes is answered as the API documents");
            statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
        }

        statuses.Should().ContainKey(HttpStatusCode.OK, "some mutations still decode").And.ContainKey(HttpStatusCode.BadRequest, "some do not");
        using var valid = await fixture.Client.PostAsync("/v1/models/bottle/predict", ServiceFixture.Image(File.ReadAllBytes(fixture.Images[^1])));
        valid.StatusCode.Should().Be(HttpStatusCode.OK, "the service keeps serving");
    }
}

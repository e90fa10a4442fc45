using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Anomaly.ED.Cli.Commands;
using Microsoft.AspNetCore.Builder;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>
/// Malformed and hostile uploads are each answered with their problem status, and the server keeps serving; the limits
/// (body size, queue, API key) are checked on a second server with small ones.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class HostileUploadTests(ServiceFixture fixture) : IAsyncLifetime
{
    private WebApplication limited = null!;
    private HttpClient limitedClient = null!;

    public async Task InitializeAsync() =>
        (limited, limitedClient) = await ServiceFixture.StartAsync(new ServeSettings
        {
            Models = [fixture.ModelPath],
            Urls = "http://127.0.0.1:0",
            MaxBatch = 1,
            MaxWaitMilliseconds = 0,
            Queue = 2,
            MaxRequestMegabytes = 1,
            ApiKey = "secret",
        });

    public async Task DisposeAsync()
    {
        limitedClient.Dispose();
        await limited.DisposeAsync();
    }

    [Fact]
    public async Task EachHostileUploadGetsItsStatusAndTheServerKeepsServing()
    {
        var png = await File.ReadAllBytesAsync(fixture.Images[0]);
        var cases = new (string Name, HttpContent Content, HttpStatusCode Status, string Title)[]
        {
            ("truncated PNG", ServiceFixture.Image(png[..(png.Length / 2)]), HttpStatusCode.BadRequest, "Undecodable image"),
            ("bytes that are no image", ServiceFixture.Image(Encoding.ASCII.GetBytes("this is not an image")), HttpStatusCode.BadRequest, "Undecodable image"),
            ("empty body", ServiceFixture.Image([]), HttpStatusCode.BadRequest, "Empty body"),
            ("huge declared dimensions", ServiceFixture.Image(Png(30000, 30000, compressedRows: 1)), HttpStatusCode.RequestEntityTooLarge, "Image too large"),
            ("PNG zip bomb", ServiceFixture.Image(Png(7000, 7000, compressedRows: 7000)), HttpStatusCode.RequestEntityTooLarge, "Image too large"),
            ("wrong content type", ServiceFixture.Image(png, "text/plain"), HttpStatusCode.UnsupportedMediaType, "Unsupported media type"),
            ("TIFF", ServiceFixture.Image(png, "image/tiff"), HttpStatusCode.UnsupportedMediaType, "Unsupported media type"),
            ("multipart part of the wrong type", Multipart(("a.png", png, "image/png"), ("b.pdf", png, "application/pdf")), HttpStatusCode.UnsupportedMediaType, "Unsupported media type"),
            ("multipart without files", new FormUrlEncodedContent([new("a", "b")]), HttpStatusCode.UnsupportedMediaType, "Unsupported media type"),
            ("multipart of no parts", Multipart(), HttpStatusCode.BadRequest, "Malformed multipart body"),
            ("multipart of no file parts", new MultipartFormDataContent { { new StringContent("x"), "note" } }, HttpStatusCode.BadRequest, "No images"),
        };

        foreach (var (name, content, status, title) in cases)
        {
            using var response = await fixture.Client.PostAsync("/v1/models/bottle/predict", content);
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", $"{name} is answered with problem details");
            ((int)response.StatusCode).Should().Be((int)status, name);
            response.Content.Headers.ContentType.Should().NotBeNull(name);
            var detail = await PredictionServiceTests.ShouldBeProblem(response, status, title);
            detail.Should().NotBeNullOrWhiteSpace(name);
        }

        using var after = await fixture.Client.PostAsync("/v1/models/bottle/predict", ServiceFixture.Image(png));
        after.StatusCode.Should().Be(HttpStatusCode.OK, "a malformed upload never affects other requests");
    }

    [Fact]
    public async Task ABodyOverTheLimitIsA413()
    {
        var big = new byte[(1024 * 1024) + 1];

        // Expect: 100-continue lets the client hear the refusal before it sends the body the server will not read.
        using var declaredRequest = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{ModelName}/predict") { Content = ServiceFixture.Image(big) };
        declaredRequest.Headers.ExpectContinue = true;
        declaredRequest.Headers.Add("X-Api-Key", "secret");
        using var declared = await limitedClient.SendAsync(declaredRequest);
        (await PredictionServiceTests.ShouldBeProblem(declared, HttpStatusCode.RequestEntityTooLarge, "Request too large")).Should().Contain("1048576");

        // A chunked body declares no length: the limit is enforced while reading.
        var chunked = new StreamContent(new MemoryStream(big));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/" + ModelName + "/predict") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add("X-Api-Key", "secret");
        using var response = await limitedClient.SendAsync(request);
        await PredictionServiceTests.ShouldBeProblem(response, HttpStatusCode.RequestEntityTooLarge, "Request too large");
    }

    [Fact]
    public async Task WithoutTheApiKeyRequestsAre401()
    {
        using var response = await limitedClient.GetAsync("/v1/models");
        (await PredictionServiceTests.ShouldBeProblem(response, HttpStatusCode.Unauthorized, "API key missing or wrong")).Should().Contain("X-Api-Key");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        wrong.Headers.Add("X-Api-Key", "secreT");
        (await limitedClient.SendAsync(wrong)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await limitedClient.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK, "health endpoints need no key");
    }

    [Fact]
    public async Task AFullQueueIsA503WithRetryAfter()
    {
        var png = await File.ReadAllBytesAsync(fixture.Images[0]);
        using var response = await Send(Multipart([.. Enumerable.Range(0, 16).Select(i => ($"{i}.png", png, "image/png"))]));
        (await PredictionServiceTests.ShouldBeProblem(response, HttpStatusCode.ServiceUnavailable, "Queue full")).Should().Contain("2 images");
        response.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));

        using var single = await Send(ServiceFixture.Image(png));
        single.StatusCode.Should().Be(HttpStatusCode.OK, "the queue drains and the server keeps serving");
    }

    private string ModelName => Path.GetFileNameWithoutExtension(fixture.ModelPath);

    private async Task<HttpResponseMessage> Send(HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{ModelName}/predict") { Content = content };
        request.Headers.Add("X-Api-Key", "secret");
        return await limitedClient.SendAsync(request);
    }

    private static MultipartFormDataContent Multipart(params (string Name, byte[] Bytes, string Type)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes, type) in files)
        {
            form.Add(ServiceFixture.Image(bytes, type), "images", name);
        }

        return form;
    }

    /// <summary>A grey 8-bit PNG of the declared size whose first rows are zeros, deflated: small on the wire, huge decoded.</summary>
    private static byte[] Png(int width, int height, int compressedRows)
    {
        using var idat = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[width + 1];
            for (var y = 0; y < compressedRows; y++)
            {
                zlib.Write(row);
            }
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Anomaly.ED.Backbones;
using Anomaly.ED.Pretrained;
using Anomaly.ED.Runtime;

namespace Anomaly.ED.Tests.Pretrained;

public sealed class PretrainedWeightsCacheTests : IDisposable
{
    private static readonly PretrainedCheckpoint Checkpoint = new("test.tiny", "resnet18", "owner/tiny-model");

    private readonly string cacheDirectory = Path.Combine(Path.GetTempPath(), "anomaly-ed-cache-tests", Guid.NewGuid().ToString("N"));
    private readonly LoopbackHttpServer server = new();
    private readonly HttpClient client = new();

    public void Dispose()
    {
        client.Dispose();
        server.Dispose();
        if (Directory.Exists(cacheDirectory))
        {
            Directory.Delete(cacheDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task DownloadsOnceIntoTheCacheWithProgressAndThenWorksOffline()
    {
        var body = RandomBytes(3 << 20);
        server.Respond("/owner/tiny-model/resolve/main/model.safetensors", body);
        var cache = Cache();
        var reports = new ConcurrentQueue<PretrainedDownloadProgress>();

        var path = await cache.DownloadAsync(Checkpoint, new SynchronousProgress(reports.Enqueue));

        path.Should().Be(Path.Combine(cacheDirectory, "owner", "tiny-model", "main", "model.safetensors"));
        File.ReadAllBytes(path).Should().Equal(body);
        reports.Last().Should().Be(new PretrainedDownloadProgress(Checkpoint, body.Length, body.Length));
        reports.Select(r => r.BytesReceived).Should().BeInAscendingOrder();
        reports.Last().Fraction.Should().Be(1.0);
        PartialFiles().Should().BeEmpty();

        (await cache.DownloadAsync(Checkpoint)).Should().Be(path);
        cache.Resolve(path).Should().Be(path);
        cache.TryGetCached(Checkpoint, out var cached).Should().BeTrue();
        cached.Should().Be(path);
        server.RequestCount.Should().Be(1, "a cached checkpoint is never downloaded again");
    }

    [Fact]
    public async Task VerifiesTheExpectedSha256()
    {
        var body = RandomBytes(4096);
        server.Respond("/owner/tiny-model/resolve/v1/model.safetensors", body);
        var good = new PretrainedCheckpoint("test.good", "resnet18", "owner/tiny-model", revision: "v1", sha256: Convert.ToHexString(SHA256.HashData(body)));

        var path = await Cache().DownloadAsync(good);

        File.ReadAllBytes(path).Should().Equal(body);
    }

    [Fact]
    public async Task WrongHashDiscardsTheFile()
    {
        server.Respond("/owner/tiny-model/resolve/main/model.safetensors", RandomBytes(4096));
        var expected = new string('a', 64);
        var bad = new PretrainedCheckpoint("test.bad", "resnet18", "owner/tiny-model", sha256: expected);
        var cache = Cache();

        var download = () => cache.DownloadAsync(bad);

        (await download.Should().ThrowAsync<PretrainedDownloadException>()).WithMessage($"*SHA-256*expected {expected}*");
        File.Exists(cache.GetPath(bad)).Should().BeFalse();
        PartialFiles().Should().BeEmpty();
    }

    [Fact]
    public async Task NotFoundNamesTheUrlAndStatus()
    {
        var cache = Cache();

        var download = () => cache.DownloadAsync(Checkpoint);

        var error = (await download.Should().ThrowAsync<PretrainedDownloadException>()).Which;
        error.StatusCode.Should().Be(HttpStatusCode.NotFound);
        error.Url.Should().Be(cache.GetUrl(Checkpoint));
        error.Message.Should().Contain("HTTP 404").And.Contain(cache.GetUrl(Checkpoint).ToString());
        File.Exists(cache.GetPath(Checkpoint)).Should().BeFalse();
        PartialFiles().Should().BeEmpty();
    }

    [Fact]
    public async Task TruncatedBodyIsRejected()
    {
        server.Respond("/owner/tiny-model/resolve/main/model.safetensors", RandomBytes(600), declaredLength: 1000);
        var cache = Cache();

        var download = () => cache.DownloadAsync(Checkpoint);

        (await download.Should().ThrowAsync<PretrainedDownloadException>()).WithMessage("*600 of 1000 bytes*");
        File.Exists(cache.GetPath(Checkpoint)).Should().BeFalse();
        PartialFiles().Should().BeEmpty();
    }

    [Fact]
    public async Task CancellationStopsTheDownloadAndLeavesNothing()
    {
        var gate = new TaskCompletionSource();
        server.Respond("/owner/tiny-model/resolve/main/model.safetensors", RandomBytes(1 << 20), holdAfterBytes: 1000, hold: gate.Task);
        var cache = Cache();
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.BytesReceived > 0)
            {
                cancellation.Cancel();
            }
        });

        try
        {
            var download = () => cache.DownloadAsync(Checkpoint, progress, cancellation.Token);

            await download.Should().ThrowAsync<OperationCanceledException>();
            File.Exists(cache.GetPath(Checkpoint)).Should().BeFalse();
            PartialFiles().Should().BeEmpty();
        }
        finally
        {
            gate.TrySetResult();
        }
    }

    [Fact]
    public async Task ConcurrentRequestsShareOneDownload()
    {
        var body = RandomBytes(1 << 20);
        var gate = new TaskCompletionSource();
        server.Respond("/owner/tiny-model/resolve/main/model.safetensors", body, holdAfterBytes: 0, hold: gate.Task);
        var cache = Cache();
        var otherCacheSameFolder = Cache();

        var downloads = Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? cache : otherCacheSameFolder).DownloadAsync(Checkpoint)).ToArray();
        gate.SetResult();
        var paths = await Task.WhenAll(downloads);

        paths.Should().OnlyContain(p => p == cache.GetPath(Checkpoint));
        File.ReadAllBytes(paths[0]).Should().Equal(body);
        server.RequestCount.Should().Be(1);
    }

    [Fact]
    public async Task OneCallerCancellingDoesNotCancelTheOthers()
    {
        var body = RandomBytes(64 << 10);
        var gate = new TaskCompletionSource();
        server.Respond("/owner/tiny-model/resolve/main/model.safetensors", body, holdAfterBytes: 0, hold: gate.Task);
        var cache = Cache();
        using var cancellation = new CancellationTokenSource();

        var cancelled = cache.DownloadAsync(Checkpoint, cancellationToken: cancellation.Token);
        var kept = cache.DownloadAsync(Checkpoint);
        cancellation.Cancel();
        var cancel = () => cancelled;
        await cancel.Should().ThrowAsync<OperationCanceledException>();
        gate.SetResult();

        File.ReadAllBytes(await kept).Should().Equal(body);
        server.RequestCount.Should().Be(1);
    }

    [Fact]
    public async Task AFileCompletedMeanwhileByAnotherProcessIsKept()
    {
        var gate = new TaskCompletionSource();
        server.Respond("/owner/tiny-model/resolve/main/model.safetensors", RandomBytes(2048), holdAfterBytes: 0, hold: gate.Task);
        var cache = Cache();
        var theirs = Encoding.ASCII.GetBytes("completed by another process");

        var download = cache.DownloadAsync(Checkpoint);
        await server.WaitForRequestAsync();
        Directory.CreateDirectory(Path.GetDirectoryName(cache.GetPath(Checkpoint))!);
        await File.WriteAllBytesAsync(cache.GetPath(Checkpoint), theirs);
        gate.SetResult();

        File.ReadAllBytes(await download).Should().Equal(theirs);
        PartialFiles().Should().BeEmpty();
    }

    [Fact]
    public async Task ResolveNeverUsesTheNetwork()
    {
        server.Respond("/timm/resnet18.tv_in1k/resolve/main/model.safetensors", RandomBytes(100));
        var cache = Cache();

        var resolve = () => cache.Resolve("resnet18");
        var resolveAsync = () => cache.ResolveAsync("resnet18.tv_in1k", allowDownload: false);
        var missingFile = () => cache.Resolve(Path.Combine(cacheDirectory, "nowhere", "weights.safetensors"));
        var unknown = () => cache.Resolve("resnet19");

        resolve.Should().Throw<FileNotFoundException>().WithMessage("*resnet18.tv_in1k*not in the cache*DownloadAsync*/timm/resnet18.tv_in1k/resolve/main/model.safetensors*");
        await resolveAsync.Should().ThrowAsync<FileNotFoundException>();
        missingFile.Should().Throw<FileNotFoundException>().WithMessage("*weights.safetensors*does not exist*");
        unknown.Should().Throw<ArgumentException>().WithMessage("*resnet19*wide_resnet50_2.tv_in1k*");
        server.RequestCount.Should().Be(0);

        var downloaded = await cache.ResolveAsync("resnet18", allowDownload: true);
        downloaded.Should().Be(cache.GetPath(PretrainedCatalog.Get("resnet18.tv_in1k")));
        cache.Resolve("resnet18").Should().Be(downloaded);
        server.RequestCount.Should().Be(1);
    }

    [Fact]
    public void CatalogMapsArchitecturesToTimmTorchvisionWeights()
    {
        var checkpoint = PretrainedCatalog.Get("wide_resnet50_2");
        var cache = new PretrainedWeightsCache(new PretrainedWeightsOptions { CacheDirectory = cacheDirectory });

        checkpoint.Name.Should().Be("wide_resnet50_2.tv_in1k");
        checkpoint.Architecture.Should().Be("wide_resnet50_2");
        cache.GetUrl(checkpoint).ToString().Should().Be("https://huggingface.co/timm/wide_resnet50_2.tv_in1k/resolve/main/model.safetensors");
        PretrainedCatalog.Get("RESNET50.TV2_IN1K").Repository.Should().Be("timm/resnet50.tv2_in1k");
        PretrainedCatalog.Checkpoints.Select(c => c.Architecture).Distinct().Should().BeEquivalentTo(Anomaly.ED.Backbones.BackboneCatalog.Names);
        var unknown = () => PretrainedCatalog.Get("vgg16");
        unknown.Should().Throw<ArgumentException>().WithMessage("*vgg16*resnet18.tv_in1k*");
        Path.IsPathRooted(PretrainedWeightsOptions.DefaultCacheDirectory()).Should().BeTrue();
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("owner/..")]
    [InlineData("no-owner")]
    public void CheckpointRejectsRepositoriesThatEscapeTheCache(string repository)
    {
        var create = () => new PretrainedCheckpoint("x", "resnet18", repository);

        create.Should().Throw<ArgumentException>().WithMessage($"*{repository}*");
    }

    private PretrainedWeightsCache Cache() => new(new PretrainedWeightsOptions
    {
        CacheDirectory = cacheDirectory,
        BaseAddress = server.BaseAddress,
        HttpClient = client,
    });

    private IEnumerable<string> PartialFiles()
        => Directory.Exists(cacheDirectory) ? Directory.EnumerateFiles(cacheDirectory, "*.partial", SearchOption.AllDirectories) : [];

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(count).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and race the assertions).</summary>
    private sealed class SynchronousProgress(Action<PretrainedDownloadProgress> report) : IProgress<PretrainedDownloadProgress>
    {
        public void Report(PretrainedDownloadProgress value) => report(value);
    }

    /// <summary>
    /// A minimal HTTP/1.1 server on 127.0.0.1 (one request per connection) whose responses can lie about their
    /// length or stall mid-body, which a real framework would not allow.
    /// </summary>
    private sealed class LoopbackHttpServer : IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentDictionary<string, Response> responses = new(StringComparer.Ordinal);
        private readonly CancellationTokenSource stopping = new();
        private readonly TaskCompletionSource firstRequest = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int requestCount;

        public LoopbackHttpServer()
        {
            listener.Start();
            BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
            _ = AcceptLoopAsync();
        }

        public Uri BaseAddress { get; }

        public int RequestCount => Volatile.Read(ref requestCount);

        public void Respond(string path, byte[] body, long? declaredLength = null, int holdAfterBytes = -1, Task? hold = null)
            => responses[path] = new Response(body, declaredLength ?? body.Length, holdAfterBytes, hold);

        public Task WaitForRequestAsync() => firstRequest.Task.WaitAsync(TimeSpan.FromSeconds(10));

        public void Dispose()
        {
            stopping.Cancel();
            listener.Stop();
            stopping.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            while (!stopping.IsCancellationRequested)
            {
                TcpClient connection;
                try
                {
                    connection = await listener.AcceptTcpClientAsync(stopping.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = ServeAsync(connection);
            }
        }

        private async Task ServeAsync(TcpClient connection)
        {
            using (connection)
            {
                try
                {
                    var stream = connection.GetStream();
                    var path = await ReadRequestPathAsync(stream);
                    Interlocked.Increment(ref requestCount);
                    firstRequest.TrySetResult();
                    if (!responses.TryGetValue(path, out var response))
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                        return;
                    }

                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {response.DeclaredLength}\r\nConnection: close\r\n\r\n"));
                    var held = Math.Clamp(response.HoldAfterBytes, 0, response.Body.Length);
                    if (response.Hold is not null)
                    {
                        await stream.WriteAsync(response.Body.AsMemory(0, held));
                        await stream.FlushAsync();
                        await response.Hold.WaitAsync(TimeSpan.FromSeconds(30));
                    }
                    else
                    {
                        held = 0;
                    }

                    await stream.WriteAsync(response.Body.AsMemory(held));
                    await stream.FlushAsync();
                }
                catch (Exception e) when (e is IOException or SocketException or TimeoutException or ObjectDisposedException)
                {
                    // The client went away (cancellation tests): nothing to answer.
                }
            }
        }

        private static async Task<string> ReadRequestPathAsync(NetworkStream stream)
        {
            var header = new StringBuilder();
            var buffer = new byte[1];
            while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(buffer) == 0)
                {
                    throw new IOException("The client closed the connection before the request ended.");
                }

                header.Append((char)buffer[0]);
            }

            var requestLine = header.ToString().Split("\r\n")[0];
            return requestLine.Split(' ')[1];
        }

        private sealed record Response(byte[] Body, long DeclaredLength, int HoldAfterBytes, Task? Hold);
    }
}

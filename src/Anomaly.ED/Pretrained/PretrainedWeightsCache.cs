using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Security.Cryptography;

namespace Anomaly.ED.Pretrained;

/// <summary>
/// A local cache of pretrained checkpoints. Offline first: <see cref="Resolve"/> and <see cref="TryGetCached"/>
/// never touch the network; only <see cref="DownloadAsync(PretrainedCheckpoint, IProgress{PretrainedDownloadProgress}?, CancellationToken)"/>
/// and <see cref="ResolveAsync"/> with <c>allowDownload: true</c> do. A download is written to a temporary
/// file beside its target, checked (length, optional SHA-256) and only then renamed into place, so the cache
/// never holds a partial file, even when several processes download the same checkpoint at once; within a
/// process, concurrent requests for one file share a single download. Instances are thread-safe.
/// </summary>
public sealed class PretrainedWeightsCache
{
    private const int BufferSize = 1 << 20;

    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(10) });
    private static readonly ConcurrentDictionary<string, SharedDownload> InFlight = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    private readonly HttpClient? client;

    /// <summary>Creates a cache.</summary>
    /// <param name="cacheDirectory">The cache folder; null for <c>$ANOMALY_ED_CACHE</c>, else the user's cache folder (<c>~/.cache/anomaly-ed</c>, <c>%LOCALAPPDATA%\anomaly-ed\cache</c>).</param>
    /// <param name="baseAddress">The hub address checkpoint URLs are relative to; null for <c>https://huggingface.co/</c>.</param>
    /// <param name="httpClient">The client downloads use; null for a shared one with a 10-minute timeout.</param>
    /// <exception cref="ArgumentException">The base address is not an absolute http(s) URI.</exception>
    public PretrainedWeightsCache(string? cacheDirectory = null, Uri? baseAddress = null, HttpClient? httpClient = null)
        : this(new PretrainedWeightsOptions { CacheDirectory = cacheDirectory, BaseAddress = baseAddress ?? PretrainedWeightsOptions.DefaultBaseAddress, HttpClient = httpClient })
    {
    }

    internal PretrainedWeightsCache(PretrainedWeightsOptions options)
    {
        options ??= new PretrainedWeightsOptions();
        var baseAddress = options.BaseAddress ?? throw new ArgumentException("BaseAddress must be set.", nameof(options));
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttps && baseAddress.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"BaseAddress '{baseAddress}' must be an absolute http or https URI.", nameof(options));
        }

        BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        CacheDirectory = Path.GetFullPath(string.IsNullOrWhiteSpace(options.CacheDirectory) ? PretrainedWeightsOptions.DefaultCacheDirectory() : options.CacheDirectory);
        client = options.HttpClient;
    }

    /// <summary>The absolute cache folder.</summary>
    public string CacheDirectory { get; }

    /// <summary>The hub address checkpoint URLs are relative to (ending with '/').</summary>
    public Uri BaseAddress { get; }

    /// <summary>Where a checkpoint is (or would be) cached.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <returns>The absolute file path.</returns>
    /// <remarks>A <see cref="PretrainedCheckpoint.Package"/> checkpoint is not cached: its path is where the file was found, else the first place searched.</remarks>
    public string GetPath(PretrainedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.Package is { } package)
        {
            return package.TryLocate(out var found) ? found : package.CandidatePaths()[0];
        }

        return Path.Combine(CacheDirectory, checkpoint.RelativeCachePath);
    }

    /// <summary>The URL a checkpoint is downloaded from.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <returns>The absolute URL.</returns>
    /// <remarks>A <see cref="PretrainedCheckpoint.Package"/> checkpoint is not downloaded by the cache; its URL is the package's page on nuget.org.</remarks>
    public Uri GetUrl(PretrainedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.Package is { } package)
        {
            return new Uri($"https://www.nuget.org/packages/{package.PackageId}/{package.Version}");
        }

        return new Uri(BaseAddress, checkpoint.RelativeUrl);
    }

    /// <summary>Finds a checkpoint in the cache, without any network access.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="path">The cached file, when present.</param>
    /// <returns>Whether the checkpoint is cached.</returns>
    public bool TryGetCached(PretrainedCheckpoint checkpoint, [NotNullWhen(true)] out string? path)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.Package is { } package)
        {
            return package.TryLocate(out path);
        }

        var candidate = GetPath(checkpoint);
        path = File.Exists(candidate) ? candidate : null;
        return path is not null;
    }

    /// <summary>
    /// Resolves weights without network access: an existing file path is returned as is; a checkpoint or
    /// architecture name from <see cref="PretrainedCatalog"/> gives its cached file.
    /// </summary>
    /// <param name="nameOrPath">A safetensors file path, or a name such as <c>"wide_resnet50_2"</c> or <c>"resnet50.tv2_in1k"</c>.</param>
    /// <returns>The path of a local file.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist, or the checkpoint is not cached (the message says how to download it).</exception>
    /// <exception cref="ArgumentException">The text is neither an existing file nor a known name.</exception>
    public string Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (File.Exists(nameOrPath))
        {
            return Path.GetFullPath(nameOrPath);
        }

        var checkpoint = CheckpointOrMissingFile(nameOrPath);
        if (TryGetCached(checkpoint, out var path))
        {
            return path;
        }

        if (checkpoint.Package is { } package)
        {
            throw new FileNotFoundException(package.MissingFileMessage(checkpoint.Name), package.CandidatePaths()[0]);
        }

        throw new FileNotFoundException(
            $"Pretrained checkpoint '{checkpoint.Name}' is not in the cache at '{GetPath(checkpoint)}'. Download it once with "
            + $"{nameof(PretrainedWeightsCache)}.{nameof(DownloadAsync)} (or {nameof(ResolveAsync)} with allowDownload: true) from {GetUrl(checkpoint)}, "
            + "or copy the file there, or pass the path of a local safetensors file.",
            GetPath(checkpoint));
    }

    /// <summary>
    /// Resolves weights like <see cref="Resolve"/>, and downloads a missing catalog checkpoint only when
    /// <paramref name="allowDownload"/> is true.
    /// </summary>
    /// <param name="nameOrPath">A safetensors file path, or a catalog checkpoint or architecture name.</param>
    /// <param name="allowDownload">Whether a missing checkpoint may be downloaded.</param>
    /// <param name="progress">Receives download progress, if any.</param>
    /// <param name="cancellationToken">Cancels the wait (and the download, when no other caller waits for it).</param>
    /// <returns>The path of a local file.</returns>
    public async Task<string> ResolveAsync(string nameOrPath, bool allowDownload, IProgress<PretrainedDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (!allowDownload || File.Exists(nameOrPath))
        {
            return Resolve(nameOrPath);
        }

        return await DownloadAsync(CheckpointOrMissingFile(nameOrPath), progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns a catalog checkpoint's cached file, downloading it first when it is missing.</summary>
    /// <param name="name">A checkpoint or architecture name from <see cref="PretrainedCatalog"/>.</param>
    /// <param name="progress">Receives download progress, if any.</param>
    /// <param name="cancellationToken">Cancels the wait (and the download, when no other caller waits for it).</param>
    /// <returns>The cached file path.</returns>
    public Task<string> DownloadAsync(string name, IProgress<PretrainedDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
        => DownloadAsync(PretrainedCatalog.Get(name), progress, cancellationToken);

    /// <summary>Returns a checkpoint's cached file, downloading it first when it is missing.</summary>
    /// <param name="checkpoint">The checkpoint (its SHA-256, when given, is verified).</param>
    /// <param name="progress">Receives download progress, if any.</param>
    /// <param name="cancellationToken">Cancels the wait (and the download, when no other caller waits for it).</param>
    /// <returns>The cached file path.</returns>
    /// <exception cref="PretrainedDownloadException">The server answered with an error, the body was truncated, or the hash differs.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async Task<string> DownloadAsync(PretrainedCheckpoint checkpoint, IProgress<PretrainedDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        cancellationToken.ThrowIfCancellationRequested();
        if (checkpoint.Package is { } package)
        {
            // NuGet restores packages; this cache never fetches them.
            return package.TryLocate(out var located)
                ? located
                : throw new FileNotFoundException(package.MissingFileMessage(checkpoint.Name), package.CandidatePaths()[0]);
        }

        var path = GetPath(checkpoint);
        if (File.Exists(path))
        {
            return path;
        }

        SharedDownload download;
        lock (Gate)
        {
            if (!InFlight.TryGetValue(path, out download!))
            {
                download = new SharedDownload(checkpoint);
                InFlight[path] = download;
                var url = GetUrl(checkpoint);
                var http = client ?? SharedClient.Value;
                download.Task = Task.Run(() => RunAsync(http, url, path, download));
            }

            download.Join(progress);
        }

        var abandoned = false;
        try
        {
            return await download.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (Gate)
            {
                if (download.Leave(progress) && !download.Task.IsCompleted)
                {
                    // The last waiter gave up: stop the transfer and let a later request start afresh.
                    InFlight.TryRemove(new KeyValuePair<string, SharedDownload>(path, download));
                    download.Cancellation.Cancel();
                    abandoned = true;
                }
            }

            if (abandoned)
            {
                // Wait for the temporary file to be removed, so a cancelled call leaves the cache as it was.
                await download.Task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

    private PretrainedCheckpoint CheckpointOrMissingFile(string nameOrPath)
    {
        if (PretrainedCatalog.TryGet(nameOrPath, out var checkpoint))
        {
            return checkpoint;
        }

        var looksLikePath = nameOrPath.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal)
            || nameOrPath.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal)
            || nameOrPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
        if (looksLikePath)
        {
            throw new FileNotFoundException($"Weights file '{Path.GetFullPath(nameOrPath)}' does not exist.", nameOrPath);
        }

        throw new ArgumentException(
            $"'{nameOrPath}' is neither an existing file nor a known pretrained checkpoint. Known checkpoints: {string.Join(", ", PretrainedCatalog.Names)}.",
            nameof(nameOrPath));
    }

    private static async Task<string> RunAsync(HttpClient http, Uri url, string path, SharedDownload download)
    {
        var token = download.Cancellation.Token;
        var checkpoint = download.Checkpoint;
        var directory = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(directory, $"{checkpoint.FileName}.{Guid.NewGuid():N}.partial");
        try
        {
            Directory.CreateDirectory(directory);
            HttpResponseMessage response;
            try
            {
                response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new PretrainedDownloadException($"Downloading '{checkpoint.Name}' from {url} failed: {e.Message}", url, e.StatusCode, e);
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    var hint = response.StatusCode == HttpStatusCode.NotFound ? " Check the repository, revision and file name." : string.Empty;
                    throw new PretrainedDownloadException(
                        $"Downloading '{checkpoint.Name}' from {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.{hint}",
                        url,
                        response.StatusCode);
                }

                var total = response.Content.Headers.ContentLength;
                var (received, sha256) = await CopyToFileAsync(response, temp, checkpoint, url, total, download, token).ConfigureAwait(false);
                if (total is long expected && received != expected)
                {
                    throw new PretrainedDownloadException($"Downloading '{checkpoint.Name}' from {url} was truncated: received {received} of {expected} bytes.", url);
                }

                if (received == 0)
                {
                    throw new PretrainedDownloadException($"Downloading '{checkpoint.Name}' from {url} returned an empty body.", url);
                }

                if (checkpoint.Sha256 is not null && !string.Equals(sha256, checkpoint.Sha256, StringComparison.Ordinal))
                {
                    throw new PretrainedDownloadException(
                        $"Downloaded '{checkpoint.Name}' from {url} has SHA-256 {sha256}, expected {checkpoint.Sha256}; the file was discarded.",
                        url);
                }
            }

            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process completed the same file first; both are complete, keep theirs.
                File.Delete(temp);
            }

            return path;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            lock (Gate)
            {
                InFlight.TryRemove(new KeyValuePair<string, SharedDownload>(path, download));
            }
        }
    }

    private static async Task<(long Received, string Sha256)> CopyToFileAsync(
        HttpResponseMessage response, string temp, PretrainedCheckpoint checkpoint, Uri url, long? total, SharedDownload download, CancellationToken token)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long received = 0;
        try
        {
            var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (target.ConfigureAwait(false))
            {
                var source = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
                await using (source.ConfigureAwait(false))
                {
                    download.Report(new PretrainedDownloadProgress(checkpoint, 0, total));
                    int read;
                    while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), token).ConfigureAwait(false)) > 0)
                    {
                        await target.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                        hash.AppendData(buffer, 0, read);
                        received += read;
                        download.Report(new PretrainedDownloadProgress(checkpoint, received, total));
                    }
                }

                target.Flush(flushToDisk: true);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !token.IsCancellationRequested)
        {
            var of = total is long t ? $" of {t}" : string.Empty;
            throw new PretrainedDownloadException($"Downloading '{checkpoint.Name}' from {url} stopped after {received}{of} bytes: {e.Message}", url, null, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (received, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover *.partial file is never mistaken for a checkpoint.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    /// <summary>One in-flight download shared by every caller waiting for the same file.</summary>
    private sealed class SharedDownload(PretrainedCheckpoint checkpoint)
    {
        private readonly List<IProgress<PretrainedDownloadProgress>> listeners = [];
        private int waiters;

        public PretrainedCheckpoint Checkpoint { get; } = checkpoint;

        public CancellationTokenSource Cancellation { get; } = new();

        public Task<string> Task { get; set; } = null!;

        public void Join(IProgress<PretrainedDownloadProgress>? progress)
        {
            waiters++;
            if (progress is not null)
            {
                lock (listeners)
                {
                    listeners.Add(progress);
                }
            }
        }

        /// <summary>Removes a waiter; returns whether none is left.</summary>
        public bool Leave(IProgress<PretrainedDownloadProgress>? progress)
        {
            if (progress is not null)
            {
                lock (listeners)
                {
                    listeners.Remove(progress);
                }
            }

            return --waiters == 0;
        }

        public void Report(PretrainedDownloadProgress value)
        {
            IProgress<PretrainedDownloadProgress>[] snapshot;
            lock (listeners)
            {
                snapshot = [.. listeners];
            }

            foreach (var listener in snapshot)
            {
                listener.Report(value);
            }
        }
    }
}

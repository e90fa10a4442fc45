namespace Anomaly.ED.Pretrained;

/// <summary>
/// Where a backbone's weights come from, resolved to a local file before a detector is built: a safetensors file, a
/// <see cref="PretrainedCatalog"/> checkpoint from the local cache (downloaded on request, with progress), or random
/// (untrained) weights. <c>EdDetectorBuilder.WithBackboneWeights</c> configures a builder with the choice.
/// </summary>
/// <example>
/// <code>
/// var weights = await BackboneWeights.ResolveAsync("wide_resnet50_2", allowDownload: true, progress: new Progress&lt;PretrainedDownloadProgress&gt;(p => Console.WriteLine(p.Fraction)));
/// using var detector = new EdDetectorBuilder().WithBackboneWeights(weights).Build();
/// </code>
/// </example>
public sealed class BackboneWeights
{
    private BackboneWeights(string architecture, string? filePath, PretrainedCheckpoint? checkpoint, string? cacheDirectory)
    {
        Architecture = architecture;
        FilePath = filePath;
        Checkpoint = checkpoint;
        CacheDirectory = cacheDirectory;
    }

    /// <summary>The cache folder a catalog checkpoint was resolved in; null for the default.</summary>
    internal string? CacheDirectory { get; }

    /// <summary>The backbone architecture, such as <c>wide_resnet50_2</c>.</summary>
    public string Architecture { get; }

    /// <summary>The local weights file (given, or the cached checkpoint file), or null for untrained weights.</summary>
    public string? FilePath { get; }

    /// <summary>The catalog checkpoint the file holds, or null for a file given directly or untrained weights.</summary>
    public PretrainedCheckpoint? Checkpoint { get; }

    /// <summary>Whether the weights are trained ones (a file or a checkpoint) rather than random.</summary>
    public bool IsPretrained => FilePath is not null;

    /// <summary>A short description for logs and console output.</summary>
    public string Description => Checkpoint is not null
        ? $"ImageNet weights {Checkpoint.Name}"
        : FilePath is not null ? $"weights from {FilePath}" : "UNTRAINED (random) weights";

    /// <summary>Random, seeded weights: only to check a setup, as the anomaly scores of an untrained backbone are far weaker.</summary>
    /// <param name="architecture">The backbone architecture.</param>
    /// <returns>The choice.</returns>
    public static BackboneWeights Untrained(string architecture)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(architecture);
        return new BackboneWeights(architecture, null, null, null);
    }

    /// <summary>Weights from a local safetensors file with torchvision or timm names.</summary>
    /// <param name="architecture">The architecture the file holds.</param>
    /// <param name="path">The file.</param>
    /// <returns>The choice, with the full path.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static BackboneWeights FromFile(string architecture, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(architecture);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        return File.Exists(full)
            ? new BackboneWeights(architecture, full, null, null)
            : throw new FileNotFoundException($"The backbone weights file '{full}' does not exist.", full);
    }

    /// <summary>
    /// Resolves <paramref name="nameOrPath"/>: an existing file is used as is (its architecture is
    /// <paramref name="architecture"/>); otherwise it names a catalog checkpoint or architecture, whose file is taken
    /// from the cache, or downloaded when <paramref name="allowDownload"/> is true.
    /// </summary>
    /// <param name="nameOrPath">A safetensors file, a checkpoint name (<c>resnet50.tv2_in1k</c>) or an architecture name (<c>wide_resnet50_2</c>).</param>
    /// <param name="architecture">The architecture of a file; for a catalog name, null or the checkpoint's own architecture.</param>
    /// <param name="allowDownload">Whether a checkpoint missing from the cache is downloaded from the Hugging Face hub.</param>
    /// <param name="cache">The cache; the default cache (<c>$ANOMALY_ED_CACHE</c> or the user's cache folder) when null.</param>
    /// <param name="progress">Receives download progress (bytes received and total), if a download happens.</param>
    /// <param name="cancellationToken">Cancels a download; nothing half-written is left in the cache.</param>
    /// <returns>The resolved weights.</returns>
    /// <exception cref="ArgumentException">The name is neither a file nor a catalog name, or the architectures disagree.</exception>
    /// <exception cref="FileNotFoundException">The checkpoint is not cached and downloading is not allowed (the message says where it is expected).</exception>
    public static async Task<BackboneWeights> ResolveAsync(
        string nameOrPath,
        string? architecture = null,
        bool allowDownload = false,
        PretrainedWeightsCache? cache = null,
        IProgress<PretrainedDownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (File.Exists(nameOrPath))
        {
            return architecture is null
                ? throw new ArgumentException($"The weights file '{nameOrPath}' needs its backbone architecture (for example resnet18 or wide_resnet50_2).", nameof(architecture))
                : FromFile(architecture, nameOrPath);
        }

        if (!PretrainedCatalog.TryGet(nameOrPath, out var checkpoint))
        {
            throw new ArgumentException(
                $"Backbone weights '{nameOrPath}' are neither an existing file nor a catalog name. Known checkpoints: {string.Join(", ", PretrainedCatalog.Names)} (or an architecture name for its tv_in1k weights).",
                nameof(nameOrPath));
        }

        if (architecture is not null && !string.Equals(architecture, checkpoint.Architecture, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Checkpoint {checkpoint.Name} holds a {checkpoint.Architecture}, not a {architecture}.", nameof(architecture));
        }

        var store = cache ?? new PretrainedWeightsCache();
        if (!store.TryGetCached(checkpoint, out var path))
        {
            if (!allowDownload)
            {
                throw new FileNotFoundException(
                    $"The pretrained checkpoint {checkpoint.Name} is not in the local cache ({store.GetPath(checkpoint)}). Allow the download "
                    + $"(allowDownload; --download in the anomaly-ed tool and the samples) to fetch it from {store.GetUrl(checkpoint)}, or give a local safetensors file.",
                    store.GetPath(checkpoint));
            }

            path = await store.DownloadAsync(checkpoint, progress, cancellationToken).ConfigureAwait(false);
        }

        return new BackboneWeights(checkpoint.Architecture, path, checkpoint, store.CacheDirectory);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Architecture}: {Description}";
}

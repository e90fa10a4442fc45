namespace Anomaly.ED.Pretrained;

/// <summary>Where pretrained checkpoints are cached and where they are downloaded from.</summary>
internal sealed class PretrainedWeightsOptions
{
    /// <summary>The environment variable that overrides the default cache folder.</summary>
    public const string CacheDirectoryEnvironmentVariable = "ANOMALY_ED_CACHE";

    /// <summary>The Hugging Face hub.</summary>
    public static readonly Uri DefaultBaseAddress = new("https://huggingface.co/");

    /// <summary>The cache folder; checkpoints go to <c>&lt;folder&gt;/&lt;owner&gt;/&lt;repository&gt;/&lt;revision&gt;/&lt;file&gt;</c>.</summary>
    /// <value>The default is null, meaning <see cref="DefaultCacheDirectory"/>.</value>
    public string? CacheDirectory { get; set; }

    /// <summary>The hub address that checkpoint URLs are relative to (a mirror, or a local server in tests).</summary>
    /// <value>The default value is <see cref="DefaultBaseAddress"/>.</value>
    public Uri BaseAddress { get; set; } = DefaultBaseAddress;

    /// <summary>The client used for downloads; the cache does not dispose it.</summary>
    /// <value>The default is null, meaning one shared client with automatic redirects (the hub redirects to its CDN).</value>
    public HttpClient? HttpClient { get; set; }

    /// <summary>
    /// The default cache folder: <c>$ANOMALY_ED_CACHE</c> when set; else <c>$XDG_CACHE_HOME/anomaly-ed</c>;
    /// else <c>%LOCALAPPDATA%\anomaly-ed\cache</c> on Windows and <c>~/.cache/anomaly-ed</c> elsewhere.
    /// </summary>
    /// <returns>The absolute folder path (it may not exist yet).</returns>
    public static string DefaultCacheDirectory()
    {
        var configured = Environment.GetEnvironmentVariable(CacheDirectoryEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "anomaly-ed");
        }

        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "anomaly-ed", "cache");
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "anomaly-ed");
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Anomaly.ED.AspNetCore.Batching;
using Anomaly.ED.AspNetCore.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.AspNetCore.Models;

/// <summary>
/// The hosted models by name, loaded in the background when the host starts (so that <c>/healthz</c> answers while they
/// load and <c>/readyz</c> turns healthy once every one is loaded and warmed up), each behind its own batcher.
/// </summary>
internal sealed class ModelCatalog : BackgroundService
{
    private readonly AnomalyDetectionServiceOptions options;
    private readonly ServiceMetrics metrics;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly Dictionary<string, IServedModelLoader> loaders;
    private readonly ConcurrentDictionary<string, ModelBatcher> loaded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Exception> failed = new(StringComparer.Ordinal);

    public ModelCatalog(IOptions<AnomalyDetectionServiceOptions> options, IEnumerable<IServedModelLoader> loaders, ServiceMetrics metrics, ILoggerFactory loggerFactory)
    {
        this.options = options.Value;
        this.loaders = loaders.ToDictionary(l => l.Extension, StringComparer.OrdinalIgnoreCase);
        this.metrics = metrics;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger<ModelCatalog>();
        Names = [.. this.options.Models.Select(m => m.ResolvedName)];
        metrics.ObserveQueues(() => loaded.Select(p => (p.Key, p.Value.QueueLength)));
    }

    /// <summary>Every configured name, in configuration order.</summary>
    public IReadOnlyList<string> Names { get; }

    public ModelState StateOf(string name) =>
        loaded.ContainsKey(name) ? ModelState.Ready
        : failed.ContainsKey(name) ? ModelState.Failed
        : Names.Contains(name, StringComparer.Ordinal) ? ModelState.Loading
        : ModelState.Unknown;

    /// <summary>The kind of model file a configured name is loaded from (before it is loaded too).</summary>
    public string KindOf(string name) => LoaderOf(options.Models.First(m => m.ResolvedName == name).Path).Kind;

    /// <summary>The first load failure, or null.</summary>
    public Exception? LoadFailure => failed.Values.FirstOrDefault();

    public bool TryGet(string name, out ModelBatcher batcher) => loaded.TryGetValue(name, out batcher!);

    /// <summary>Why models are not ready (loading, or the load error), or null when all are.</summary>
    public string? NotReadyReason()
    {
        if (!failed.IsEmpty)
        {
            return "failed to load: " + string.Join("; ", failed.Select(p => $"{p.Key} ({p.Value.Message})"));
        }

        var loading = Names.Where(n => !loaded.ContainsKey(n)).ToArray();
        return loading.Length == 0 ? null : "loading: " + string.Join(", ", loading);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var batcher in loaded.Values)
        {
            await batcher.DisposeAsync().ConfigureAwait(false);
        }

        loaded.Clear();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(
        () =>
        {
            foreach (var model in options.Models)
            {
                stoppingToken.ThrowIfCancellationRequested();
                var name = model.ResolvedName;
                var started = Stopwatch.GetTimestamp();
                Log.ModelLoading(logger, name, model.Path);
                try
                {
                    var served = LoaderOf(model.Path).Load(model.Path, options.Runtime, loggerFactory);
                    loaded[name] = new ModelBatcher(name, served, options, metrics, loggerFactory.CreateLogger<ModelBatcher>());
                    Log.ModelLoaded(logger, name, served.Kind, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    failed[name] = ex;
                    Log.ModelLoadFailed(logger, name, model.Path, ex);
                    return;
                }
            }
        },
        stoppingToken);

    // The options were validated at start: every configured file has a registered loader.
    private IServedModelLoader LoaderOf(string path) => loaders[Path.GetExtension(path)];
}

/// <summary>Where a model name stands.</summary>
internal enum ModelState
{
    Unknown,
    Loading,
    Ready,
    Failed,
}

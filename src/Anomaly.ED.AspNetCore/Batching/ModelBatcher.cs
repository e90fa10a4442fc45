using System.Diagnostics;
using System.Threading.Channels;
using Anomaly.ED.AspNetCore.Models;
using Anomaly.ED.AspNetCore.Telemetry;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.AspNetCore.Batching;

/// <summary>
/// Micro-batching for one model, as Triton's dynamic batcher: images wait in a bounded queue; a batch starts with the
/// first waiting image and takes those that arrive within the maximum wait, up to the maximum batch. A full queue
/// refuses new images (the caller answers 503) instead of growing; images whose client went away are dropped unscored.
/// </summary>
internal sealed class ModelBatcher : IAsyncDisposable
{
    private readonly string name;
    private readonly IServedModel model;
    private readonly int maxBatchSize;
    private readonly TimeSpan maxWait;
    private readonly ServiceMetrics metrics;
    private readonly ILogger logger;
    private readonly Channel<PendingImage> queue;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;

    public ModelBatcher(string name, IServedModel model, AnomalyDetectionServiceOptions options, ServiceMetrics metrics, ILogger logger)
    {
        this.name = name;
        this.model = model;
        this.metrics = metrics;
        this.logger = logger;
        maxBatchSize = options.MaxBatchSize;
        maxWait = TimeSpan.FromMilliseconds(options.MaxBatchWaitMilliseconds);
        queue = Channel.CreateBounded<PendingImage>(new BoundedChannelOptions(options.QueueCapacity) { SingleReader = true });
        loop = Task.Run(() => RunAsync(stopping.Token));
    }

    public IServedModel Model => model;

    /// <summary>How many images wait now.</summary>
    public int QueueLength => queue.Reader.Count;

    /// <summary>Queues an image; false when the queue is full or the service is stopping.</summary>
    public bool TryEnqueue(PendingImage image) => queue.Writer.TryWrite(image);

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the images still queued are cancelled below.
        }

        while (queue.Reader.TryRead(out var left))
        {
            left.Cancel();
        }

        stopping.Dispose();
        model.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var batch = new List<PendingImage>(maxBatchSize);
        while (await queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            batch.Clear();
            TakeWaiting(batch);
            if (batch.Count > 0 && batch.Count < maxBatchSize && maxWait > TimeSpan.Zero)
            {
                await WaitForMoreAsync(batch, cancellationToken).ConfigureAwait(false);
            }

            if (batch.Count > 0)
            {
                Score(batch);
            }
        }
    }

    private async Task WaitForMoreAsync(List<PendingImage> batch, CancellationToken cancellationToken)
    {
        using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        window.CancelAfter(maxWait);
        try
        {
            while (batch.Count < maxBatchSize && await queue.Reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
            {
                TakeWaiting(batch);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The wait is over: run what arrived.
        }
    }

    private void TakeWaiting(List<PendingImage> batch)
    {
        while (batch.Count < maxBatchSize && queue.Reader.TryRead(out var image))
        {
            if (image.Cancellation.IsCancellationRequested)
            {
                image.Cancel();
                metrics.ImageDropped(name);
            }
            else
            {
                batch.Add(image);
            }
        }
    }

    private void Score(List<PendingImage> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var predictions = model.Predict([.. batch.Select(b => b.Image)]);
            var inference = Stopwatch.GetElapsedTime(started);
            metrics.BatchScored(name, batch.Count, inference);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Complete(new BatchedPrediction(predictions[i], batch.Count, Stopwatch.GetElapsedTime(batch[i].EnqueuedTimestamp, started), inference));
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // One failed batch fails its own requests (answered 500), never the loop or the other models.
            Log.BatchFailed(logger, name, batch.Count, ex);
            foreach (var image in batch)
            {
                image.Fail(ex);
            }
        }
    }
}

using System.Collections.Concurrent;
using Anomaly.ED.Cli.Progress;

namespace Anomaly.ED.Cli.Output;

/// <summary>
/// Draws, encodes and writes PNG panels on worker threads while the caller goes on (scoring the next images): a bounded
/// queue, so at most <see cref="Capacity"/> panels wait and one per worker is drawn at once, whatever the test set's size.
/// </summary>
internal sealed class PanelWriter : IDisposable
{
    private readonly BlockingCollection<Func<(string Path, byte[] Png)>> queue;
    private readonly Task[] workers;
    private readonly ProgressLine line;
    private readonly CountProgress progress;
    private readonly CancellationTokenSource stop;
    private readonly Lock progressLock = new();
    private int written;

    /// <summary>Starts the workers; progress goes to a line of <paramref name="board"/>.</summary>
    public PanelWriter(IProgressBoard board, int total, CancellationToken cancellationToken)
    {
        // One worker per logical processor: they share the cores with scoring, which waits on its intra-op threads at each step.
        var count = Math.Max(1, Environment.ProcessorCount);
        Capacity = 2 * count;
        queue = new BlockingCollection<Func<(string, byte[])>>(Capacity);
        stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        line = board.Start("heatmaps", total, "images");
        progress = new CountProgress(line, total);
        workers = [.. Enumerable.Range(0, count).Select(_ => Task.Factory.StartNew(Work, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default))];
    }

    /// <summary>How many panels may wait to be drawn; <see cref="Add"/> blocks while the queue is full.</summary>
    public int Capacity { get; }

    /// <summary>Queues a panel: <paramref name="render"/> runs on a worker and gives the file and its PNG bytes.</summary>
    public void Add(Func<(string Path, byte[] Png)> render)
    {
        try
        {
            queue.Add(render, stop.Token);
        }
        catch (OperationCanceledException) when (workers.FirstOrDefault(w => w.IsFaulted) is { Exception.InnerException: { } failure })
        {
            // A worker failed and stopped the queue: its failure is the one to report, not the cancellation.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>Waits until every queued panel is written; rethrows the first failure of a worker.</summary>
    /// <returns>The number of panels written.</returns>
    public int Complete()
    {
        queue.CompleteAdding();
        try
        {
            Task.WaitAll(workers);
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(i => i is not OperationCanceledException) is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        catch (AggregateException)
        {
            stop.Token.ThrowIfCancellationRequested();
        }

        line.Complete();
        return written;
    }

    public void Dispose()
    {
        stop.Cancel();
        queue.CompleteAdding();
        try
        {
            Task.WaitAll(workers);
        }
        catch (AggregateException)
        {
            // Dispose after a failure or cancellation: Complete reported it, or the caller is already leaving with another exception.
        }

        stop.Dispose();
        queue.Dispose();
    }

    // A worker that fails cancels the others and the producer; its exception is what Add and Complete rethrow.
    private void Work()
    {
        try
        {
            foreach (var render in queue.GetConsumingEnumerable(stop.Token))
            {
                var (path, png) = render();
                OutputFiles.WriteBytes(path, png);
                lock (progressLock)
                {
                    progress.Report(++written);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            stop.Cancel();
            throw;
        }
    }
}

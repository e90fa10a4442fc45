using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Anomaly.ED.Data;

/// <summary>
/// Loads dataset items into batches of tensors: images are decoded and transformed in parallel on worker
/// threads, at most <see cref="DatasetLoaderOptions.PrefetchCount"/> ahead of the consumer (bounded memory),
/// and batches keep the items' order. Thread-safe; one loader may serve several enumerations.
/// </summary>
internal sealed class DatasetLoader
{
    private readonly ILogger logger;
    private readonly int batchSize;
    private readonly int prefetch;
    private readonly BadFilePolicy policy;
    private readonly TaskScheduler scheduler;
    private readonly List<SkippedFile> skipped = [];
    private readonly HashSet<(int Height, int Width)> sizes = [];
    private readonly Lock recordLock = new();

    /// <summary>Creates a loader applying <paramref name="transform"/>.</summary>
    /// <param name="transform">The preprocessing of images and masks.</param>
    /// <param name="options">Batch size, parallelism, prefetch bound and bad-file policy; defaults when null.</param>
    /// <param name="logger">Receives a warning per skipped file; none when null.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message lists every problem.</exception>
    public DatasetLoader(ImageTransform transform, DatasetLoaderOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transform);
        options ??= new DatasetLoaderOptions();
        var problems = new List<string>();
        if (options.BatchSize < 1)
        {
            problems.Add($"BatchSize must be at least 1 (was {options.BatchSize}).");
        }

        if (options.MaxDegreeOfParallelism < 1)
        {
            problems.Add($"MaxDegreeOfParallelism must be at least 1 (was {options.MaxDegreeOfParallelism}).");
        }

        if (options.PrefetchCount < 0)
        {
            problems.Add($"PrefetchCount must be 0 (automatic) or positive (was {options.PrefetchCount}).");
        }

        if (!Enum.IsDefined(options.BadFiles))
        {
            problems.Add($"BadFiles {options.BadFiles} is not a known policy.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid dataset loader options: " + string.Join(" ", problems), nameof(options));
        }

        Transform = transform;
        this.logger = logger ?? NullLogger.Instance;
        batchSize = options.BatchSize;
        prefetch = options.PrefetchCount > 0 ? options.PrefetchCount : Math.Max(2 * options.BatchSize, options.MaxDegreeOfParallelism);
        policy = options.BadFiles;
        scheduler = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, options.MaxDegreeOfParallelism).ConcurrentScheduler;
    }

    /// <summary>The preprocessing applied to every image and mask.</summary>
    public ImageTransform Transform { get; }

    /// <summary>Number of files skipped so far by this loader (under <see cref="BadFilePolicy.Skip"/>).</summary>
    public int SkippedCount
    {
        get
        {
            lock (recordLock)
            {
                return skipped.Count;
            }
        }
    }

    /// <summary>A snapshot of the files skipped so far by this loader, with reasons.</summary>
    public IReadOnlyList<SkippedFile> SkippedFiles
    {
        get
        {
            lock (recordLock)
            {
                return skipped.ToArray();
            }
        }
    }

    /// <summary>The distinct sizes of the images decoded so far by this loader, before any transform.</summary>
    public IReadOnlyList<(int Height, int Width)> ImageSizes
    {
        get
        {
            lock (recordLock)
            {
                return sizes.ToArray();
            }
        }
    }

    /// <summary>Streams the dataset's items as batches (see <see cref="ReadBatchesAsync(IEnumerable{DatasetItem}, CancellationToken)"/>).</summary>
    /// <param name="dataset">The dataset to load.</param>
    /// <param name="cancellationToken">Stops decoding and the enumeration.</param>
    /// <returns>Batches in item order; dispose each one.</returns>
    public IAsyncEnumerable<DatasetBatch> ReadBatchesAsync(ImageDataset dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return ReadBatchesAsync(dataset.Items, cancellationToken);
    }

    /// <summary>
    /// Streams items as batches of (B, 3, H, W) images, (B, 1, H, W) masks and (B) labels, in item order.
    /// Items are enumerated lazily and decoded in parallel, at most the prefetch count ahead.
    /// </summary>
    /// <param name="items">The items to load.</param>
    /// <param name="cancellationToken">Stops decoding and the enumeration.</param>
    /// <returns>Batches in item order; dispose each one.</returns>
    /// <exception cref="ImageDecodeException">An image or mask cannot be decoded (under <see cref="BadFilePolicy.Throw"/>).</exception>
    /// <exception cref="DatasetException">A mask's size differs from its image's (under <see cref="BadFilePolicy.Throw"/>), or images of one batch give different tensor sizes.</exception>
    public async IAsyncEnumerable<DatasetBatch> ReadBatchesAsync(IEnumerable<DatasetItem> items, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queue = Channel.CreateBounded<Task<LoadedSample?>>(new BoundedChannelOptions(prefetch)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var producer = Task.Run(() => ProduceAsync(items, queue.Writer, stop.Token), CancellationToken.None);
        var pending = new List<LoadedSample>(batchSize);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                while (queue.Reader.TryRead(out var next))
                {
                    stop.Token.ThrowIfCancellationRequested();
                    var sample = await next.ConfigureAwait(false);
                    if (sample is null)
                    {
                        continue;
                    }

                    pending.Add(sample);
                    if (pending.Count == batchSize)
                    {
                        var batch = Assemble(pending);
                        pending.Clear();
                        yield return batch;
                    }
                }
            }

            // Surfaces an exception thrown while enumerating the items.
            await producer.ConfigureAwait(false);
            if (pending.Count > 0)
            {
                yield return Assemble(pending);
            }
        }
        finally
        {
            await StopAsync(stop, producer, queue.Reader).ConfigureAwait(false);
        }
    }

    /// <summary>Synchronous form of <see cref="ReadBatchesAsync(IEnumerable{DatasetItem}, CancellationToken)"/> (decoding still runs in parallel).</summary>
    /// <param name="items">The items to load.</param>
    /// <param name="cancellationToken">Stops decoding and the enumeration.</param>
    /// <returns>Batches in item order; dispose each one.</returns>
    public IEnumerable<DatasetBatch> ReadBatches(IEnumerable<DatasetItem> items, CancellationToken cancellationToken = default) =>
        ReadBatchesAsync(items, cancellationToken).ToBlockingEnumerable(cancellationToken);

    private static async Task StopAsync(CancellationTokenSource stop, Task producer, ChannelReader<Task<LoadedSample?>> reader)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException || stop.IsCancellationRequested)
        {
            // The consumer stopped early (or already saw the producer's exception): nothing more to report.
        }

        while (reader.TryRead(out var orphan))
        {
            Observe(orphan);
        }
    }

    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task ProduceAsync(IEnumerable<DatasetItem> items, ChannelWriter<Task<LoadedSample?>> writer, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var item in items)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (item is null)
                {
                    throw new ArgumentException("The items to load contain null.", nameof(items));
                }

                var task = Task.Factory.StartNew(() => LoadSample(item, cancellationToken), cancellationToken, TaskCreationOptions.DenyChildAttach, scheduler);
                try
                {
                    await writer.WriteAsync(task, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Observe(task);
                    throw;
                }
            }
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private LoadedSample? LoadSample(DatasetItem item, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var image = ImageDecoder.DecodeRgb(item.ImagePath);
            ImageBuffer? mask = null;
            if (item.MaskPath is not null)
            {
                mask = ImageDecoder.DecodeGray(item.MaskPath);
                if (mask.Width != image.Width || mask.Height != image.Height)
                {
                    throw new DatasetException(item.MaskPath, $"Mask of size {mask.Width}x{mask.Height} does not match its image '{item.ImagePath}' ({image.Width}x{image.Height})");
                }
            }

            lock (recordLock)
            {
                sizes.Add((image.Height, image.Width));
            }

            var (height, width) = Transform.GetOutputSize(image.Height, image.Width);
            var pixels = new float[3 * height * width];
            Transform.WriteImage(image, pixels);
            var maskValues = new float[height * width];
            if (mask is not null)
            {
                Transform.WriteMask(mask, maskValues);
            }

            return new LoadedSample(item, height, width, pixels, maskValues);
        }
        catch (ImageDecodeException ex) when (policy == BadFilePolicy.Skip)
        {
            RecordSkip(ex.FilePath, ex.Reason);
            return null;
        }
        catch (DatasetException ex) when (policy == BadFilePolicy.Skip)
        {
            RecordSkip(ex.Path, ex.Reason);
            return null;
        }
    }

    private void RecordSkip(string path, string reason)
    {
        lock (recordLock)
        {
            skipped.Add(new SkippedFile(path, reason));
        }

        Log.SkippedFile(logger, path, reason);
    }

    private static DatasetBatch Assemble(List<LoadedSample> samples)
    {
        var first = samples[0];
        var (height, width) = (first.Height, first.Width);
        var plane = height * width;
        var count = samples.Count;
        var images = new float[count * 3 * plane];
        var masks = new float[count * plane];
        var labels = new long[count];
        var items = new DatasetItem[count];
        for (var i = 0; i < count; i++)
        {
            var s = samples[i];
            if (s.Height != height || s.Width != width)
            {
                throw new DatasetException(s.Item.ImagePath, $"Image gives a {s.Height}x{s.Width} tensor, unlike the {height}x{width} of '{first.Item.ImagePath}' in the same batch (set a crop or an exact resize so that every image has one size)");
            }

            s.Pixels.CopyTo(images, i * 3 * plane);
            s.Mask.CopyTo(masks, i * plane);
            labels[i] = (long)s.Item.Label;
            items[i] = s.Item;
        }

        // A local scope, so that the tensors join no scope the caller's thread may have open: the batch owns them.
        using var scope = torch.NewDisposeScope();
        var imageTensor = torch.tensor(images, [count, 3, height, width]).DetachFromDisposeScope();
        var maskTensor = torch.tensor(masks, [count, 1, height, width]).DetachFromDisposeScope();
        var labelTensor = torch.tensor(labels, [count]).DetachFromDisposeScope();
        return new DatasetBatch(imageTensor, maskTensor, labelTensor, items);
    }

    private sealed record LoadedSample(DatasetItem Item, int Height, int Width, float[] Pixels, float[] Mask);
}

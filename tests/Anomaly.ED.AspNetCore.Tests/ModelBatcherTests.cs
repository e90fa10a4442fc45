using System.Diagnostics.Metrics;
using Anomaly.ED.AspNetCore.Batching;
using Anomaly.ED.AspNetCore.Models;
using Anomaly.ED.AspNetCore.Telemetry;
using Anomaly.ED.Data;
using Anomaly.ED.Scoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>The micro-batcher alone, over a model that records its batches and can be held.</summary>
public sealed class ModelBatcherTests : IAsyncLifetime
{
    private readonly RecordingModel model = new();
    private readonly ServiceProvider provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private ModelBatcher batcher = null!;

    public Task InitializeAsync()
    {
        batcher = new ModelBatcher(
            "m",
            model,
            new AnomalyDetectionServiceOptions { MaxBatchSize = 4, MaxBatchWaitMilliseconds = 200, QueueCapacity = 8 },
            new ServiceMetrics(provider.GetRequiredService<IMeterFactory>()),
            NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        model.Release();
        await batcher.DisposeAsync();
        await provider.DisposeAsync();
    }

    [Fact]
    public async Task ImagesArrivingWithinTheWaitShareABatchUpToTheMaximum()
    {
        var images = Enumerable.Range(1, 6).Select(i => Pending(i)).ToArray();
        foreach (var image in images)
        {
            batcher.TryEnqueue(image).Should().BeTrue();
        }

        model.Release();
        var results = await Task.WhenAll(images.Select(i => i.Result));
        results.Select(r => r.Prediction.Score).Should().Equal(1, 2, 3, 4, 5, 6);
        model.Batches.Should().Equal(4, 2);
        results.Select(r => r.BatchSize).Should().Equal(4, 4, 4, 4, 2, 2);
    }

    [Fact]
    public async Task ImagesOfAClientThatWentAwayAreDroppedUnscored()
    {
        using var gone = new CancellationTokenSource();
        var blocker = Pending(0);
        batcher.TryEnqueue(blocker);
        await model.Started.Task;   // the model is busy: the next two wait in the queue
        var kept = Pending(1);
        var dropped = Pending(2, gone.Token);
        batcher.TryEnqueue(kept);
        batcher.TryEnqueue(dropped);
        await gone.CancelAsync();

        model.Release();
        (await kept.Result).Prediction.Score.Should().Be(1);
        await dropped.Invoking(d => d.Result).Should().ThrowAsync<OperationCanceledException>();
        model.Scored.Should().Equal(0, 1);
    }

    [Fact]
    public async Task AFullQueueRefusesInsteadOfGrowing()
    {
        var first = Pending(1);
        batcher.TryEnqueue(first);
        await model.Started.Task;   // the first batch is being scored and holds the model

        var queued = Enumerable.Range(2, 8).Select(i => Pending(i)).ToArray();
        queued.Select(batcher.TryEnqueue).ToArray().Should().OnlyContain(accepted => accepted);
        batcher.QueueLength.Should().Be(8);
        batcher.TryEnqueue(Pending(99)).Should().BeFalse();

        model.Release();
        await Task.WhenAll(queued.Select(q => q.Result));
        batcher.QueueLength.Should().Be(0);
    }

    private static PendingImage Pending(int score, CancellationToken cancellation = default) =>
        new(new ImageBuffer(1, 1, 3, [(byte)score, 0, 0]), cancellation);

    /// <summary>Scores each image with its first byte, after the test releases it; records the batches.</summary>
    private sealed class RecordingModel : IServedModel
    {
        private readonly ManualResetEventSlim released = new();

        public List<int> Batches { get; } = [];

        public List<int> Scored { get; } = [];

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Kind => "test";

        public ModelDetails Details => throw new NotSupportedException();

        public void Release() => released.Set();

        public IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<ImageBuffer> images)
        {
            Started.TrySetResult();
            released.Wait();
            Batches.Add(images.Count);
            Scored.AddRange(images.Select(i => (int)i.Pixels[0]));
            return [.. images.Select(i => new AnomalyPrediction(i.Pixels[0], null, null, new AnomalyMap(1, 1, [0f]), null))];
        }

        public RenderedHeatmap RenderHeatmap(ImageBuffer image, AnomalyPrediction prediction) => throw new NotSupportedException();

        public void Dispose() => released.Dispose();
    }
}

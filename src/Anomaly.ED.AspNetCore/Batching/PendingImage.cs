using Anomaly.ED.Data;

namespace Anomaly.ED.AspNetCore.Batching;

/// <summary>A decoded image waiting for its model's next batch, and where its result goes.</summary>
/// <param name="image">The decoded RGB image.</param>
/// <param name="cancellation">Cancelled when the client disconnects or the request gives up; the batcher then drops the image.</param>
internal sealed class PendingImage(ImageBuffer image, CancellationToken cancellation)
{
    private readonly TaskCompletionSource<BatchedPrediction> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ImageBuffer Image { get; } = image;

    public CancellationToken Cancellation { get; } = cancellation;

    public long EnqueuedTimestamp { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    public Task<BatchedPrediction> Result => completion.Task;

    public void Complete(BatchedPrediction prediction) => completion.TrySetResult(prediction);

    public void Fail(Exception exception) => completion.TrySetException(exception);

    public void Cancel() => completion.TrySetCanceled(Cancellation.IsCancellationRequested ? Cancellation : CancellationToken.None);
}

/// <summary>One image's prediction and how it was obtained.</summary>
/// <param name="Prediction">The model's prediction.</param>
/// <param name="BatchSize">How many images its batch held.</param>
/// <param name="QueueTime">How long it waited for its batch to start.</param>
/// <param name="InferenceTime">How long its batch took to score.</param>
internal sealed record BatchedPrediction(AnomalyPrediction Prediction, int BatchSize, TimeSpan QueueTime, TimeSpan InferenceTime);

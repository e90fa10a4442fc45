using Anomaly.ED.Tests.Detector;
using Anomaly.ED.Training;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>Cancelling a fit at any step leaves a usable detector that predicts as its last complete state.</summary>
[Collection(DetectorCollection.Name)]
public sealed class CancellationTests(TinyDetectorFixture fixture)
{
    private const int Epochs = 2;
    private const int StepsPerEpoch = 2;

    [Fact]
    public void CancellingAtEveryStepKeepsTheLastCompleteState()
    {
        var probe = fixture.Test.Items[^1].ImagePath;
        using var afterOneEpoch = NewBuilder(epochs: 1).Build();
        afterOneEpoch.Fit(fixture.Training);
        var epochOneScore = afterOneEpoch.Predict(probe).Score;

        for (var cancelAt = 0; cancelAt <= Epochs * StepsPerEpoch; cancelAt++)
        {
            using var detector = NewBuilder(Epochs).Build();
            using var cts = new CancellationTokenSource();
            if (cancelAt == 0)
            {
                cts.Cancel();
            }

            var steps = 0;
            var progress = new Synchronous(p =>
            {
                if (p.Stage == FitStage.Training && ++steps == cancelAt)
                {
                    cts.Cancel();
                }
            });

            var fit = () => detector.Fit(fixture.Training, progress: progress, cancellationToken: cts.Token);

            if (cancelAt == Epochs * StepsPerEpoch)
            {
                // Cancelled after the last step: the run has nothing left to do and completes.
                fit.Should().NotThrow();
                detector.IsFitted.Should().BeTrue();
                continue;
            }

            fit.Should().Throw<OperationCanceledException>($"cancelled at step {cancelAt}");
            var completedEpochs = cancelAt / StepsPerEpoch;
            detector.IsFitted.Should().Be(completedEpochs > 0, $"cancelled at step {cancelAt}");
            if (completedEpochs == 0)
            {
                var predict = () => detector.Predict(probe);
                predict.Should().Throw<InvalidOperationException>().WithMessage("*not been fitted*");
                detector.Fit(fixture.Training);
                detector.IsFitted.Should().BeTrue("a cancelled detector can be fitted again");
            }
            else
            {
                detector.Predict(probe).Score.Should().Be(epochOneScore, $"cancelled at step {cancelAt}, the detector holds the end of epoch 1");
            }
        }
    }

    private static EdDetectorBuilder NewBuilder(int epochs) =>
        TinyDetectorFixture.NewBuilder(epochs).WithBatchSize(16 / StepsPerEpoch);

    private sealed class Synchronous(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}

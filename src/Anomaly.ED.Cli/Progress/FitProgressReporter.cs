using System.Globalization;
using Anomaly.ED.Methods;
using Anomaly.ED.Training;

namespace Anomaly.ED.Cli.Progress;

/// <summary>Turns the library's fit progress into one line per stage: the reference pass per image batch, training per step;
/// HETMM, which does not train, reports its template extraction per batch of images.</summary>
internal sealed class FitProgressReporter(IProgressBoard board, MethodDescriptor method) : IProgress<TrainingProgress>
{
    private FitStage? stage;
    private ProgressLine? line;

    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (stage != value.Stage)
        {
            line?.Complete();
            stage = value.Stage;
            line = value.Stage != FitStage.Training ? board.Start(StageName(value.Stage), value.StepsPerEpoch, "images")
                : !method.TrainsForEpochs ? board.Start("templates", value.StepsPerEpoch, "image batches")
                : board.Start("training", (double)value.Epochs * value.StepsPerEpoch, "steps");
        }

        var rate = string.Create(CultureInfo.InvariantCulture, $"{value.ImagesPerSecond:F1} images/s  left {Clock.Format(value.Remaining)}");
        if (value.Stage == FitStage.Training && method.TrainsForEpochs)
        {
            var loss = value.Losses.Sum(l => l.Reconstruction);
            line!.Report(
                ((double)(value.Epoch - 1) * value.StepsPerEpoch) + value.Step,
                string.Create(CultureInfo.InvariantCulture, $"epoch {value.Epoch}/{value.Epochs}  loss {loss:F4}  {rate}"));
        }
        else
        {
            line!.Report(value.Step, rate);
        }
    }

    /// <summary>Ends the last stage's line.</summary>
    public void Complete() => line?.Complete();

    private static string StageName(FitStage stage) => stage == FitStage.References ? "reference features" : stage.ToString().ToLowerInvariant();
}

using System.Globalization;
using Anomaly.ED.Training;

namespace Anomaly.ED.Samples;

/// <summary>Prints one line for the reference-feature pass, then one per epoch: the mean reconstruction loss of its steps, throughput, elapsed and remaining time.</summary>
/// <remarks>Writes synchronously on the training thread (unlike <see cref="Progress{T}"/>, which posts to the thread
/// pool), so lines appear in order and all of them before <c>Fit</c> returns.</remarks>
internal sealed class ConsoleTrainingProgress : IProgress<TrainingProgress>
{
    private readonly TextWriter output;
    private double lossSum;
    private int lossSteps;

    /// <summary>Creates a printer writing to <paramref name="output"/>.</summary>
    public ConsoleTrainingProgress(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        this.output = output;
    }

    /// <inheritdoc/>
    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Stage == FitStage.References)
        {
            // The first pass over the images (the reference features): one line when it ends.
            if (value.Step == value.StepsPerEpoch)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  reference features of {value.StepsPerEpoch} images  {value.ImagesPerSecond:F1} images/s  elapsed {Clock(value.Elapsed)}"));
            }

            return;
        }

        if (value.Step == 1)
        {
            (lossSum, lossSteps) = (0, 0);
        }

        lossSum += value.Losses.Sum(l => l.Reconstruction);
        lossSteps++;
        if (value.Step != value.StepsPerEpoch)
        {
            return;
        }

        var width = value.Epochs.ToString(CultureInfo.InvariantCulture).Length;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  epoch {value.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{value.Epochs}  loss {lossSum / lossSteps:F5}  {value.ImagesPerSecond,7:F1} images/s  elapsed {Clock(value.Elapsed)}  left {Clock(value.Remaining)}"));
    }

    private static string Clock(TimeSpan time) => time.TotalHours >= 1
        ? time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : time.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}

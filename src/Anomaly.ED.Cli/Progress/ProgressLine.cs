namespace Anomaly.ED.Cli.Progress;

/// <summary>One step's progress: reported after every image, batch or chunk of bytes, from any thread.</summary>
internal abstract class ProgressLine
{
    /// <summary>Reports the work done so far and a short detail (rate, loss, time left).</summary>
    public abstract void Report(double done, string? detail = null);

    /// <summary>Marks the step finished.</summary>
    public abstract void Complete(string? detail = null);
}

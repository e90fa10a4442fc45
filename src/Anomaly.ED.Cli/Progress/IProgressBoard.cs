namespace Anomaly.ED.Cli.Progress;

/// <summary>Where a long-running command starts one progress line per step (download, reference pass, training, evaluation, ...).</summary>
internal interface IProgressBoard
{
    /// <summary>Starts a line.</summary>
    /// <param name="name">What the step does, such as <c>training</c>.</param>
    /// <param name="total">The amount of work (images, steps, bytes); 0 when unknown.</param>
    /// <param name="unit">The unit of <paramref name="total"/>, plural.</param>
    /// <returns>The line to report to.</returns>
    ProgressLine Start(string name, double total, string unit);
}

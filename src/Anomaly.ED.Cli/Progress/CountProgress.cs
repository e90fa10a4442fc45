using System.Diagnostics;
using System.Globalization;

namespace Anomaly.ED.Cli.Progress;

/// <summary>Images done out of a known total, with the rate and the time left, for evaluation, prediction and heatmaps.</summary>
internal sealed class CountProgress(ProgressLine line, int total) : IProgress<int>
{
    private readonly Stopwatch watch = Stopwatch.StartNew();

    public void Report(int value)
    {
        var rate = value / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
        var left = TimeSpan.FromSeconds(rate > 0 ? (total - value) / rate : 0);
        line.Report(value, string.Create(CultureInfo.InvariantCulture, $"{rate:F1} images/s  left {Clock.Format(left)}"));
    }
}

using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Pretrained;

namespace Anomaly.ED.Cli.Progress;

/// <summary>Download progress in MiB with the transfer rate; the line starts with the first bytes.</summary>
internal sealed class DownloadProgressReporter(IProgressBoard board) : IProgress<PretrainedDownloadProgress>
{
    private const double Mebibyte = 1024.0 * 1024.0;
    private readonly Stopwatch watch = Stopwatch.StartNew();
    private readonly Lock gate = new();
    private ProgressLine? line;

    public void Report(PretrainedDownloadProgress value)
    {
        ProgressLine current;
        lock (gate)
        {
            current = line ??= board.Start($"download {value.Checkpoint.Name}", (value.TotalBytes ?? 0) / Mebibyte, "MiB");
        }

        var rate = value.BytesReceived / Mebibyte / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
        current.Report(value.BytesReceived / Mebibyte, string.Create(CultureInfo.InvariantCulture, $"{rate:F1} MiB/s"));
        if (value.TotalBytes is { } total && value.BytesReceived >= total)
        {
            current.Complete();
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Anomaly.ED.Cli.Progress;

/// <summary>Progress as log lines: the first report of a step, then at most one line per interval, and the end of the step.</summary>
internal sealed class PlainProgressDisplay(IAnsiConsole console, TimeSpan interval) : ProgressDisplay, IProgressBoard
{
    private readonly TimeSpan interval = interval;
    private readonly Lock gate = new();

    public override T Run<T>(Func<IProgressBoard, T> work) => work(this);

    public override Task<T> RunAsync<T>(Func<IProgressBoard, Task<T>> work) => work(this);

    public ProgressLine Start(string name, double total, string unit) => new Line(this, name, total, unit);

    private void Write(string text)
    {
        lock (gate)
        {
            console.Profile.Out.Writer.WriteLine(text);
        }
    }

    private sealed class Line(PlainProgressDisplay display, string name, double total, string unit) : ProgressLine
    {
        private readonly Stopwatch sinceLast = new();
        private readonly Lock gate = new();
        private bool completed;

        public override void Report(double done, string? detail = null)
        {
            lock (gate)
            {
                if (completed || (sinceLast.IsRunning && sinceLast.Elapsed < display.interval && done < total))
                {
                    return;
                }

                sinceLast.Restart();
            }

            display.Write(Text(done, detail));
        }

        public override void Complete(string? detail = null)
        {
            lock (gate)
            {
                if (completed)
                {
                    return;
                }

                completed = true;
            }

            display.Write($"{name}: done{(detail is null ? string.Empty : $"  {detail}")}");
        }

        private string Text(double done, string? detail)
        {
            var amount = total > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{done:0.#}/{total:0.#} {unit} ({100 * done / total:0}%)")
                : string.Create(CultureInfo.InvariantCulture, $"{done:0.#} {unit}");
            return $"{name}: {amount}{(detail is null ? string.Empty : $"  {detail}")}";
        }
    }
}

using System.Globalization;
using Spectre.Console;

namespace Anomaly.ED.Cli.Progress;

/// <summary>Live progress bars (Spectre.Console), one per step, with percentage, time left and a spinner.</summary>
internal sealed class LiveProgressDisplay(IAnsiConsole console) : ProgressDisplay
{
    public override T Run<T>(Func<IProgressBoard, T> work) => Create().Start(context => work(new Board(context)));

    public override Task<T> RunAsync<T>(Func<IProgressBoard, Task<T>> work) => Create().StartAsync(context => work(new Board(context)));

    private Spectre.Console.Progress Create() => console.Progress()
        .AutoClear(false)
        .HideCompleted(false)
        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn());

    private sealed class Board(ProgressContext context) : IProgressBoard
    {
        public ProgressLine Start(string name, double total, string unit) =>
            new Line(context.AddTask(Markup.Escape(name), autoStart: true, maxValue: total > 0 ? total : 1), name, unit, total > 0);
    }

    private sealed class Line(ProgressTask task, string name, string unit, bool known) : ProgressLine
    {
        public override void Report(double done, string? detail = null)
        {
            if (known)
            {
                task.Value = done;
            }
            else
            {
                task.IsIndeterminate = true;
            }

            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{name} {done:0.#} {unit}{(detail is null ? string.Empty : $"  {detail}")}"));
        }

        public override void Complete(string? detail = null)
        {
            task.Value = task.MaxValue;
            if (detail is not null)
            {
                task.Description = Markup.Escape($"{name}  {detail}");
            }

            task.StopTask();
        }
    }
}

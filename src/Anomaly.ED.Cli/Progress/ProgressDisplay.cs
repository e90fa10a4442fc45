using Anomaly.ED.Cli.Commands;
using Spectre.Console;

namespace Anomaly.ED.Cli.Progress;

/// <summary>
/// Shows the progress of long steps: live bars on an interactive terminal, plain log lines otherwise (redirected
/// output, CI, <c>--plain</c>), so that logs stay readable.
/// </summary>
internal abstract class ProgressDisplay
{
    /// <summary>The display that suits <paramref name="console"/> and the user's options.</summary>
    public static ProgressDisplay For(IAnsiConsole console, CommonSettings settings) =>
        console.Profile.Capabilities.Interactive && !settings.Plain
            ? new LiveProgressDisplay(console)
            : new PlainProgressDisplay(console, TimeSpan.FromSeconds(settings.ProgressInterval));

    /// <summary>Runs synchronous work that reports to the board.</summary>
    public abstract T Run<T>(Func<IProgressBoard, T> work);

    /// <summary>Runs asynchronous work that reports to the board.</summary>
    public abstract Task<T> RunAsync<T>(Func<IProgressBoard, Task<T>> work);
}

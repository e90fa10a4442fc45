using System.Text;
using Spectre.Console;
using Spectre.Console.Testing;

namespace Anomaly.ED.Cli.Tests;

/// <summary>Runs the tool in-process on Spectre's test console (not interactive unless asked: plain progress lines).</summary>
public sealed record CliRun(int ExitCode, string Output)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static async Task<CliRun> RunAsync(string[] args, bool interactive = false, Action<string>? onLine = null, int width = 240, CancellationToken cancellationToken = default)
    {
        using var console = new TestConsole().Width(width);
        if (interactive)
        {
            console.Interactive().EmitAnsiSequences();
        }

        if (onLine is not null)
        {
            console.Profile.Out = new AnsiConsoleOutput(new LineWatcher(console.Profile.Out.Writer, onLine));
        }

        var code = await CliApplication.RunAsync(args, console, cancellationToken);
        return new CliRun(code, console.Output);
    }
}

/// <summary>Passes writes through and calls back with every complete line, as a user watching the terminal would.</summary>
internal sealed class LineWatcher(TextWriter inner, Action<string> onLine) : TextWriter
{
    private readonly StringBuilder line = new();

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        inner.Write(value);
        if (value == '\n')
        {
            onLine(line.ToString());
            line.Clear();
        }
        else
        {
            line.Append(value);
        }
    }
}

using Anomaly.ED.Cli.Progress;
using Anomaly.ED.Data;
using Anomaly.ED.ModelFiles;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console.Cli;
using Spectre.Console;

namespace Anomaly.ED.Cli.Commands;

/// <summary>
/// The frame of every verb: logging, the progress display, and one place that turns failures into one-line messages and
/// exit codes (<see cref="ExitCodes"/>): input errors 2, cancellation 130, anything else 1.
/// </summary>
internal abstract class CliCommand<TSettings>(IAnsiConsole console) : AsyncCommand<TSettings>
    where TSettings : CommonSettings
{
    protected IAnsiConsole Console => console;

    public override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        using var loggerFactory = settings.Verbose
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).AddFilter(l => l >= LogLevel.Information))
            : new NullLoggerFactory();
        try
        {
            return await RunAsync(settings, ProgressDisplay.For(console, settings), loggerFactory, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Profile.Out.Writer.WriteLine("cancelled: stopped after the current step; nothing half-written was saved.");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (IsInputError(e))
        {
            Error(e, settings.Verbose);
            return ExitCodes.InvalidInput;
        }
        catch (Exception e)
        {
            Error(e, settings.Verbose);
            return ExitCodes.Failure;
        }
    }

    /// <summary>The verb's work.</summary>
    protected abstract Task<int> RunAsync(TSettings settings, ProgressDisplay display, ILoggerFactory loggerFactory, CancellationToken cancellationToken);

    /// <summary>Prints one line as is: no markup and no wrapping at the console width, so log files keep whole lines.</summary>
    protected void Line(string text = "") => console.Profile.Out.Writer.WriteLine(text);

    /// <summary>
    /// Prints a table; where the output is not a terminal (a log file, CI) at its natural width, because Spectre takes
    /// a console of unknown width as 80 columns and would break cells mid-word (<c>broken_l</c> / <c>arge</c>).
    /// </summary>
    protected void Write(Table table)
    {
        var width = console.Profile.Width;
        if (!console.Profile.Out.IsTerminal)
        {
            var natural = ((Spectre.Console.Rendering.IRenderable)table).Measure(Spectre.Console.Rendering.RenderOptions.Create(console), int.MaxValue).Max;
            console.Profile.Width = Math.Max(width, natural);
        }

        try
        {
            console.Write(table);
        }
        finally
        {
            console.Profile.Width = width;
        }
    }

    private static bool IsInputError(Exception e) => e is CliUsageException or DatasetException or ImageDecodeException or ModelFileException
        or FileNotFoundException or DirectoryNotFoundException or ArgumentException or OptionsValidationException;

    private void Error(Exception e, bool verbose)
    {
        console.Profile.Out.Writer.WriteLine($"error: {OneLine(e.Message)}");
        if (verbose)
        {
            console.WriteException(e);
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

using System.ComponentModel;
using Spectre.Console.Cli;
using Spectre.Console;

namespace Anomaly.ED.Cli.Commands;

/// <summary>Options every verb takes.</summary>
internal class CommonSettings : CommandSettings
{
    [CommandOption("--device <DEVICE>")]
    [Description("cpu (default), cuda or cuda:N (needs a CUDA build of the tool).")]
    public string Device { get; init; } = new RuntimeOptions().Device;

    [CommandOption("--plain")]
    [Description("Plain progress lines instead of live bars, even on a terminal (redirected output gets them anyway).")]
    public bool Plain { get; init; }

    [CommandOption("--progress-interval <SECONDS>")]
    [Description("Without live bars: seconds between progress lines of one step (default 2; 0 prints every image and step).")]
    public double ProgressInterval { get; init; } = 2;

    [CommandOption("-v|--verbose")]
    [Description("Print the library's log messages and stack traces of errors.")]
    public bool Verbose { get; init; }

    public override ValidationResult Validate() =>
        !(ProgressInterval >= 0 && double.IsFinite(ProgressInterval))
            ? ValidationResult.Error($"--progress-interval must be a number of seconds >= 0, got {ProgressInterval}.")
            : ValidationResult.Success();
}

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

    [CommandOption("--precision <PRECISION>")]
    [Description("float32 (default, parity mode), bfloat16 (CPUs with AVX512-BF16 or AMX, CUDA) or float16 (CUDA): the number format of prediction; fitting computes in float32.")]
    public string Precision { get; init; } = "float32";

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
            : !RuntimeOptions.Precisions.Contains(Precision.ToLowerInvariant())
                ? ValidationResult.Error($"--precision must be {string.Join(", ", RuntimeOptions.Precisions.SkipLast(1))} or {RuntimeOptions.Precisions[^1]}, got '{Precision}'.")
                : ValidationResult.Success();
}

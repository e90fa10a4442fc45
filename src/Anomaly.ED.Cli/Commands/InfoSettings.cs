using System.ComponentModel;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>The options of <c>info</c>.</summary>
internal sealed class InfoSettings : CommonSettings
{
    [CommandArgument(0, "<MODEL>")]
    [Description("The model file (.edmodel), or an ONNX file written by export.")]
    public string Model { get; init; } = string.Empty;

    [CommandOption("--json")]
    [Description("Print the information as JSON.")]
    public bool Json { get; init; }
}

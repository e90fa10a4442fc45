using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>The options of <c>predict</c>.</summary>
internal sealed class PredictSettings : ModelSettings
{
    [CommandArgument(1, "<INPUTS>")]
    [Description("Image files, folders (their images) or globs such as 'line3/**/*.png' (quote globs so the shell leaves them alone).")]
    public string[] Inputs { get; init; } = [];

    [CommandOption("-o|--output <FILE>")]
    [Description("Also write the scores to a .csv or .json file.")]
    public string? Output { get; init; }

    [CommandOption("--heatmaps <DIR>")]
    [Description("Write a heatmap overlay per image into this folder, in the image's own geometry.")]
    public string? Heatmaps { get; init; }

    [CommandOption("-b|--batch-size <N>")]
    [Description("Images scored per batch (default 8).")]
    public int BatchSize { get; init; } = 8;

    [CommandOption("--threshold <SCORE>")]
    [Description("Decide with this image-score threshold instead of the model's calibration.")]
    public double? Threshold { get; init; }

    public override ValidationResult Validate()
    {
        var common = base.Validate();
        return !common.Successful ? common
            : BatchSize <= 0 ? ValidationResult.Error($"--batch-size must be positive, got {BatchSize}.")
            : Output is not null && !Output.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && !Output.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? ValidationResult.Error($"--output must name a .csv or .json file, got '{Output}'.")
            : Threshold is { } t && !double.IsFinite(t) ? ValidationResult.Error("--threshold must be a finite number.")
            : ValidationResult.Success();
    }
}

using System.ComponentModel;
using Anomaly.ED.Cli.Datasets;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>The options of <c>fit</c>.</summary>
internal sealed class FitSettings : TrainingSettings
{
    [CommandArgument(0, "<DATA>")]
    [Description("A folder of normal images, or a category folder of MVTec AD, BTAD or MVTec 3D-AD (its train images are used).")]
    public string Data { get; init; } = string.Empty;

    [CommandOption("-o|--output <FILE>")]
    [Description("The model file to write (default model.edmodel).")]
    public string Output { get; init; } = "model.edmodel";

    [CommandOption("--layout <LAYOUT>")]
    [Description("auto (default), folder, mvtec, btad or mvtec3d.")]
    public DatasetLayout Layout { get; init; } = DatasetLayout.Auto;

    [CommandOption("--include-backbone")]
    [Description("Store the backbone weights in the model file too (pretrained weights are otherwise found again in the cache or file).")]
    public bool IncludeBackbone { get; init; }
}

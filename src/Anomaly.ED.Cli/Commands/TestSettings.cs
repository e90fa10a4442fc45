using System.ComponentModel;
using Anomaly.ED.Cli.Datasets;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>The options of <c>test</c>.</summary>
internal sealed class TestSettings : ModelSettings
{
    [CommandArgument(1, "<DATA>")]
    [Description("A labelled test set: a category folder of MVTec AD, BTAD or MVTec 3D-AD (its test images), or a folder with good/ and one folder per defect type (masks in ground_truth/<type>/<name>_mask.png).")]
    public string Data { get; init; } = string.Empty;

    [CommandOption("-o|--output <DIR>")]
    [Description("The results folder (default anomaly-ed-test).")]
    public string Output { get; init; } = "anomaly-ed-test";

    [CommandOption("--layout <LAYOUT>")]
    [Description("auto (default), folder, mvtec, btad or mvtec3d.")]
    public DatasetLayout Layout { get; init; } = DatasetLayout.Auto;

    [CommandOption("--heatmaps")]
    [Description("Also write one heatmap panel per test image: overlay, true defect outlined, colour bar, score and decision in the caption.")]
    public bool Heatmaps { get; init; }
}

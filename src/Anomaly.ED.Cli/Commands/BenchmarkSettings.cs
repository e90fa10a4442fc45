using System.ComponentModel;
using Anomaly.ED.Cli.Datasets;
using Anomaly.ED.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>The options of <c>benchmark</c>.</summary>
internal sealed class BenchmarkSettings : TrainingSettings
{
    [CommandArgument(0, "<ROOT>")]
    [Description("The dataset folder holding the category folders (e.g. .../mvtec_anomaly_detection).")]
    public string Root { get; init; } = string.Empty;

    [CommandOption("-d|--dataset <NAME>")]
    [Description("mvtec (MVTec AD), btad (BTAD) or mvtec3d (MVTec 3D-AD, RGB images).")]
    public string Dataset { get; init; } = string.Empty;

    [CommandOption("-c|--categories <NAMES>")]
    [Description("all (default) or categories separated by commas, e.g. bottle,cable.")]
    public string Categories { get; init; } = "all";

    [CommandOption("-o|--output <DIR>")]
    [Description("The results folder: per category the report and the model, then summary.csv (default anomaly-ed-benchmark).")]
    public string Output { get; init; } = "anomaly-ed-benchmark";

    /// <summary>The dataset layout named by <see cref="Dataset"/>.</summary>
    public DatasetLayout Layout => Dataset.ToLowerInvariant() switch
    {
        "mvtec" or "mvtec_ad" => DatasetLayout.Mvtec,
        "btad" => DatasetLayout.Btad,
        "mvtec3d" or "mvtec_3d" => DatasetLayout.Mvtec3d,
        _ => throw new CliUsageException($"Unknown --dataset '{Dataset}': use mvtec, btad or mvtec3d."),
    };

    /// <summary>Every category of the dataset.</summary>
    public IReadOnlyList<string> KnownCategories => Layout switch
    {
        DatasetLayout.Btad => BtadDataset.Categories,
        DatasetLayout.Mvtec3d => Mvtec3dRgbDataset.Categories,
        _ => MvtecAdDataset.Categories,
    };

    /// <summary>The categories to run, in order.</summary>
    public IReadOnlyList<string> SelectedCategories => string.Equals(Categories, "all", StringComparison.OrdinalIgnoreCase)
        ? KnownCategories
        : Categories.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override ValidationResult Validate()
    {
        var common = base.Validate();
        if (!common.Successful)
        {
            return common;
        }

        if (Dataset is not ("mvtec" or "mvtec_ad" or "btad" or "mvtec3d" or "mvtec_3d"))
        {
            return ValidationResult.Error($"--dataset is required: mvtec, btad or mvtec3d{(Dataset.Length == 0 ? string.Empty : $" (got '{Dataset}')")}.");
        }

        var unknown = SelectedCategories.Where(c => !KnownCategories.Contains(c, StringComparer.Ordinal)).ToArray();
        return unknown.Length > 0
            ? ValidationResult.Error($"Unknown --categories {string.Join(", ", unknown)} for {Dataset}: use all or some of {string.Join(", ", KnownCategories)}.")
            : ValidationResult.Success();
    }
}

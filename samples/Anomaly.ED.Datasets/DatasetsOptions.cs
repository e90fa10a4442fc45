using System.Globalization;
using Anomaly.ED.Data;
using Anomaly.ED.Methods.Ed;

namespace Anomaly.ED.Samples.Datasets;

/// <summary>The benchmark program's settings, parsed from the command line; the defaults are the reference ED configuration.</summary>
public sealed class DatasetsOptions
{
    /// <summary>The text printed by <c>--help</c>.</summary>
    public const string Usage =
        """
        Anomaly.ED on a benchmark dataset: for each category, trains ED on the defect-free training images,
        evaluates it on the test images (image AUROC, pixel AUROC, AUPRO, ...), writes the report (table, JSON, CSV)
        and the model, then prints a summary over the categories. The defaults are the reference configuration
        (wide_resnet50_2 with ImageNet weights, layer2 + layer3, 256x256, 100 epochs, batch size 1).

        Usage: dotnet run -c Release --project samples/Anomaly.ED.Datasets -- --dataset <name> --data-path <root> [options]

        Required:
          --dataset <name>       mvtec (MVTec AD), btad (BTAD) or mvtec3d (MVTec 3D-AD, RGB images only).
          --data-path <root>     The folder holding the category folders (e.g. .../mvtec_anomaly_detection).

        Options:
          --category <name|all>  One category (e.g. bottle, 01, bagel) or all of them (default: all).
          --weights <file>       Backbone weights (.safetensors, torchvision or timm names).
          --pretrained <id>      A catalog checkpoint (default wide_resnet50_2.tv_in1k), read from the local cache.
          --download             Download the --pretrained checkpoint from the Hugging Face hub when it is not cached.
          --untrained            Run with random backbone weights (only to check a setup: results are meaningless).
          --backbone <name>      With --weights or --untrained: the architecture (default wide_resnet50_2).
          --epochs <n>           Training epochs (default 100).
          --method <name>        ed (default), fod, or hetmm (training-free; MVTec AD categories use their preset).
          --batch-size <n>       Training batch size (default 1).
          --image-size <n>       Input height and width (default 256).
          --device <name>        cpu (default), cuda or cuda:N (needs a CUDA build: -p:TorchSharpRuntime=cuda).
          --output <dir>         Results folder (default: ./ed-results/<dataset>).
          --save-heatmaps        Also write an overlay and a panel PNG per test image, over the original image.
          --seed <n>             Seed of initialisation and shuffling (default 3407, the reference's).
          --verbose              Log the library's information messages; print stack traces on errors.
          --help                 Show this text.

        Exit codes: 0 every category succeeded, 1 an error (invalid command line included, or a failed category).
        """;

    /// <summary>The dataset kind.</summary>
    public BenchmarkDataset Dataset { get; set; }

    /// <summary>The dataset root folder.</summary>
    public string DataPath { get; set; } = string.Empty;

    /// <summary>One category, or <c>all</c>.</summary>
    public string Category { get; set; } = "all";

    /// <summary>A local weights file, or null.</summary>
    public string? WeightsPath { get; set; }

    /// <summary>A catalog checkpoint name, or null for the default.</summary>
    public string? Pretrained { get; set; }

    /// <summary>Whether a missing checkpoint is downloaded.</summary>
    public bool Download { get; set; }

    /// <summary>Whether random backbone weights are allowed.</summary>
    public bool Untrained { get; set; }

    /// <summary>The backbone architecture for <c>--weights</c> and <c>--untrained</c>; null for the method's reference backbone.</summary>
    public string? Backbone { get; set; }

    /// <summary>The method: ED (default), FOD or HETMM.</summary>
    public DetectorMethod Method { get; set; } = DetectorMethod.Ed;

    /// <summary>Training epochs (ED and FOD); null for the library's default.</summary>
    public int? Epochs { get; set; }

    /// <summary>Training batch size (ED and FOD); null for the library's default.</summary>
    public int? BatchSize { get; set; }

    /// <summary>Square input size; null for the library's default.</summary>
    public int? ImageSize { get; set; }

    /// <summary>The device: cpu, cuda or cuda:N.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The results folder, or null for <c>./ed-results/&lt;dataset&gt;</c>.</summary>
    public string? Output { get; set; }

    /// <summary>Whether overlay and panel PNGs are written.</summary>
    public bool SaveHeatmaps { get; set; }

    /// <summary>Seed of initialisation and shuffling; null for the library's default.</summary>
    public int? Seed { get; set; }

    /// <summary>Whether to log information messages and print stack traces.</summary>
    public bool Verbose { get; set; }

    /// <summary>Whether only the help text was asked for.</summary>
    public bool ShowHelp { get; set; }

    /// <summary>The results folder that is used.</summary>
    public string EffectiveOutput => Path.GetFullPath(Output ?? Path.Combine("ed-results", DatasetName(Dataset)));

    /// <summary>The categories to run, in order.</summary>
    public IReadOnlyList<string> Categories => string.Equals(Category, "all", StringComparison.OrdinalIgnoreCase) ? AllCategories(Dataset) : [Category];

    /// <summary>The command-line name of a dataset.</summary>
    public static string DatasetName(BenchmarkDataset dataset) => dataset switch
    {
        BenchmarkDataset.MvtecAd => "mvtec",
        BenchmarkDataset.Btad => "btad",
        _ => "mvtec3d",
    };

    /// <summary>Every category of a dataset.</summary>
    public static IReadOnlyList<string> AllCategories(BenchmarkDataset dataset) => dataset switch
    {
        BenchmarkDataset.MvtecAd => MvtecAdDataset.Categories,
        BenchmarkDataset.Btad => BtadDataset.Categories,
        _ => Mvtec3dRgbDataset.Categories,
    };

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <exception cref="ArgumentException">An option is unknown, missing, lacks its value or has an invalid one.</exception>
    public static DatasetsOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new DatasetsOptions();
        string? dataset = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            switch (name)
            {
                case "--help" or "-h" or "-?":
                    options.ShowHelp = true;
                    break;
                case "--dataset":
                    dataset = CommandLineArguments.Value(args, ref i);
                    break;
                case "--data-path":
                    options.DataPath = CommandLineArguments.Value(args, ref i);
                    break;
                case "--category":
                    options.Category = CommandLineArguments.Value(args, ref i);
                    break;
                case "--weights":
                    options.WeightsPath = CommandLineArguments.Value(args, ref i);
                    break;
                case "--pretrained":
                    options.Pretrained = CommandLineArguments.Value(args, ref i);
                    break;
                case "--download":
                    options.Download = true;
                    break;
                case "--untrained":
                    options.Untrained = true;
                    break;
                case "--backbone":
                    options.Backbone = CommandLineArguments.Value(args, ref i);
                    break;
                case "--method":
                    options.Method = CommandLineArguments.Method(args, ref i);
                    break;
                case "--epochs":
                    options.Epochs = CommandLineArguments.Positive(args, ref i, 1);
                    break;
                case "--batch-size":
                    options.BatchSize = CommandLineArguments.Positive(args, ref i, 1);
                    break;
                case "--image-size":
                    options.ImageSize = CommandLineArguments.Positive(args, ref i, 32);
                    break;
                case "--device":
                    options.Device = CommandLineArguments.Value(args, ref i);
                    break;
                case "--output":
                    options.Output = CommandLineArguments.Value(args, ref i);
                    break;
                case "--save-heatmaps":
                    options.SaveHeatmaps = true;
                    break;
                case "--seed":
                    options.Seed = CommandLineArguments.Integer(args, ref i);
                    break;
                case "--verbose" or "-v":
                    options.Verbose = true;
                    break;
                default:
                    throw new UsageException($"Unknown option '{name}'. Run with --help to list the options.");
            }
        }

        if (options.ShowHelp)
        {
            return options;
        }

        options.Dataset = dataset switch
        {
            null => throw new UsageException("--dataset is required: mvtec, btad or mvtec3d."),
            "mvtec" or "mvtec_ad" => BenchmarkDataset.MvtecAd,
            "btad" => BenchmarkDataset.Btad,
            "mvtec3d" or "mvtec_3d" => BenchmarkDataset.Mvtec3dRgb,
            _ => throw new UsageException($"Unknown --dataset '{dataset}': use mvtec, btad or mvtec3d."),
        };
        if (options.DataPath.Length == 0)
        {
            throw new UsageException("--data-path is required: the folder holding the dataset's category folders.");
        }

        var known = AllCategories(options.Dataset);
        if (!string.Equals(options.Category, "all", StringComparison.OrdinalIgnoreCase) && !known.Contains(options.Category, StringComparer.Ordinal))
        {
            throw new UsageException($"Unknown --category '{options.Category}' for {DatasetName(options.Dataset)}: use all or one of {string.Join(", ", known)}.");
        }

        var sources = (options.WeightsPath is not null ? 1 : 0) + (options.Pretrained is not null ? 1 : 0) + (options.Untrained ? 1 : 0);
        if (sources > 1)
        {
            throw new UsageException("--weights, --pretrained and --untrained exclude each other: give at most one.");
        }

        if (options.Download && (options.WeightsPath is not null || options.Untrained))
        {
            throw new UsageException("--download applies to a catalog checkpoint (--pretrained, or the default), not to --weights or --untrained.");
        }

        return options;
    }
}

using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>The method, backbone, weights and training options of <c>fit</c> and <c>benchmark</c>; unset ones keep the library's defaults (the reference configuration).</summary>
internal class TrainingSettings : CommonSettings
{
    [CommandOption("-m|--method <METHOD>")]
    [Description("The detection method: ed (default), fod, or any other method of the library (see docs/cli.md).")]
    public string Method { get; init; } = nameof(DetectorMethod.Ed);

    [CommandOption("--backbone <NAME>")]
    [Description("Backbone architecture (default wide_resnet50_2; HETMM wide_resnet101_2): resnet18/34/50/101/152, wide_resnet50_2/101_2.")]
    public string? Backbone { get; init; }

    [CommandOption("--weights <FILE|CHECKPOINT>")]
    [Description("Backbone weights: a .safetensors file, or a catalog checkpoint (e.g. resnet50.tv2_in1k). Default: the backbone's ImageNet checkpoint from the cache.")]
    public string? Weights { get; init; }

    [CommandOption("--download")]
    [Description("Download a catalog checkpoint missing from the cache (from the Hugging Face hub), with progress.")]
    public bool Download { get; init; }

    [CommandOption("--untrained")]
    [Description("Random backbone weights: only to check a setup, the results say nothing about the method's accuracy.")]
    public bool Untrained { get; init; }

    [CommandOption("--cache <DIR>")]
    [Description("The pretrained-weights cache folder (default: $ANOMALY_ED_CACHE or the user cache folder).")]
    public string? Cache { get; init; }

    [CommandOption("--levels <STAGES>")]
    [Description("Backbone stages, comma-separated (default layer2,layer3; HETMM layer1,layer2,layer3).")]
    public string? Levels { get; init; }

    [CommandOption("--dims <SIZES>")]
    [Description("Per level, the transformer width d_model, comma-separated (default 256,512).")]
    public string? Dims { get; init; }

    [CommandOption("--heads <N>")]
    [Description("Attention heads (default 8).")]
    public int? Heads { get; init; }

    [CommandOption("--layers <N>")]
    [Description("Encoder layers (default 3).")]
    public int? Layers { get; init; }

    [CommandOption("-e|--epochs <N>")]
    [Description("Training epochs (default 100).")]
    public int? Epochs { get; init; }

    [CommandOption("-b|--batch-size <N>")]
    [Description("Training batch size (default 1).")]
    public int? BatchSize { get; init; }

    [CommandOption("--learning-rate <RATE>")]
    [Description("Adam learning rate (default 0.0001).")]
    public double? LearningRate { get; init; }

    [CommandOption("-s|--image-size <N|HxW>")]
    [Description("Input size in pixels: N for N x N, or HxW, height first (e.g. 640x256 for a part 2.5 times taller than wide; default 256).")]
    public ImageSize? ImageSize { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of initialisation and shuffling (default 3407, the reference's).")]
    public int? Seed { get; init; }

    [CommandOption("--preset <NAME>")]
    [Description("HETMM: the parameter preset (default: the MVTec AD category's own preset for a category folder of that name, else 'default').")]
    public string? Preset { get; init; }

    [CommandOption("--template-sheets <N>")]
    [Description("HETMM: keep this many template sheets per pixel, chosen by PTS (default: every normal image is a template).")]
    public int? TemplateSheets { get; init; }

    [CommandOption("--calibrate <FPR>")]
    [Description("Hold out 20% of the normal images and save a decision threshold with this false-positive rate (e.g. 0.01).")]
    public double? Calibrate { get; init; }

    /// <summary>The method named by <see cref="Method"/>: any member of <see cref="DetectorMethod"/>, case-insensitive.</summary>
    public DetectorMethod ParsedMethod => Enum.TryParse<DetectorMethod>(Method, ignoreCase: true, out var method) && Enum.IsDefined(method)
        ? method
        : throw new CliUsageException($"Unknown --method '{Method}': use {string.Join(", ", MethodNames)}.");

    /// <summary>The method names the tool accepts, lower case.</summary>
    public static IEnumerable<string> MethodNames => Enum.GetNames<DetectorMethod>().Select(n => n.ToLowerInvariant());

    public override ValidationResult Validate()
    {
        var common = base.Validate();
        if (!common.Successful)
        {
            return common;
        }

        string? problem = null;
        if (!Enum.TryParse<DetectorMethod>(Method, ignoreCase: true, out var method) || !Enum.IsDefined(method) || int.TryParse(Method, out _))
        {
            problem = $"Unknown --method '{Method}': use {string.Join(", ", MethodNames)}.";
        }
        else if (Untrained && (Weights is not null || Download))
        {
            problem = "--untrained excludes --weights and --download.";
        }
        else if (Epochs is <= 0 || BatchSize is <= 0 || Heads is <= 0 || Layers is <= 0)
        {
            problem = "--epochs, --batch-size, --heads and --layers must be positive.";
        }
        else if (ImageSize is { } size && Math.Min(size.Height, size.Width) < 32)
        {
            problem = $"--image-size must be at least 32 pixels each way, got {size}.";
        }
        else if (Calibrate is { } fpr && !(fpr > 0 && fpr < 1))
        {
            problem = $"--calibrate is a false-positive rate between 0 and 1 (exclusive), got {fpr.ToString(CultureInfo.InvariantCulture)}.";
        }
        else if (Dims is not null && Levels is null)
        {
            problem = "--dims needs --levels: one d_model per stage, e.g. --levels layer2,layer3 --dims 256,512.";
        }
        else if (TemplateSheets is <= 0)
        {
            problem = $"--template-sheets must be positive, got {TemplateSheets}.";
        }

        return problem is null ? ValidationResult.Success() : ValidationResult.Error(problem);
    }
}

using System.ComponentModel;
using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>The options of <c>export</c>.</summary>
internal sealed partial class ExportSettings : ModelSettings
{
    [CommandOption("-f|--format <FORMAT>")]
    [Description("onnx (one .onnx file) or triton (a Triton model repository: <DIR>/<NAME>/config.pbtxt and <DIR>/<NAME>/1/model.onnx).")]
    public string Format { get; init; } = "onnx";

    [CommandOption("-o|--output <PATH>")]
    [Description("The .onnx file (onnx), or the model repository folder (triton).")]
    public string Output { get; init; } = string.Empty;

    [CommandOption("--name <NAME>")]
    [Description("triton: the model's name in the repository (default: the model file's name without extension).")]
    public string? Name { get; init; }

    [CommandOption("--max-batch <N>")]
    [Description("triton: the largest batch the server forms (max_batch_size, default 8).")]
    public int MaxBatch { get; init; } = 8;

    public bool IsTriton => string.Equals(Format, "triton", StringComparison.OrdinalIgnoreCase);

    /// <summary>The Triton model name: <see cref="Name"/> or the model file's name.</summary>
    public string TritonName => Name ?? Path.GetFileNameWithoutExtension(Model);

    public override ValidationResult Validate()
    {
        var common = base.Validate();
        return !common.Successful ? common
            : !IsTriton && !string.Equals(Format, "onnx", StringComparison.OrdinalIgnoreCase) ? ValidationResult.Error($"--format must be onnx or triton, got '{Format}'.")
            : string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("--output is required: the .onnx file (onnx) or the repository folder (triton).")
            : MaxBatch <= 0 ? ValidationResult.Error($"--max-batch must be positive, got {MaxBatch}.")
            : IsTriton && !ModelName().IsMatch(TritonName) ? ValidationResult.Error($"The Triton model name '{TritonName}' may hold only letters, digits, '_', '-' and '.'; pass --name.")
            : ValidationResult.Success();
    }

    // A folder name Triton accepts on every platform.
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]
    private static partial Regex ModelName();
}

using System.ComponentModel;
using Anomaly.ED.Cli.Models;
using Anomaly.ED.OnnxRuntime;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>Options of the verbs that load a model: <c>test</c> and <c>predict</c>.</summary>
internal class ModelSettings : CommonSettings
{
    [CommandArgument(0, "<MODEL>")]
    [Description("The model file written by fit (predict and test also take an .onnx file written by export).")]
    public string Model { get; init; } = string.Empty;

    [CommandOption("--cache <DIR>")]
    [Description("The pretrained-weights cache folder the model's backbone is read from.")]
    public string? Cache { get; init; }

    [CommandOption("--download")]
    [Description("Download the model's backbone checkpoint when it is not in the cache.")]
    public bool Download { get; init; }

    [CommandOption("--backbone-weights <FILE>")]
    [Description("Read the backbone weights from this file instead (its fingerprint must match the model's).")]
    public string? BackboneWeights { get; init; }

    /// <summary>Loads a model file or, for <c>.onnx</c>, an exported graph run with ONNX Runtime on <see cref="CommonSettings.Device"/>.</summary>
    public PredictingModel LoadForPrediction(Microsoft.Extensions.Logging.ILoggerFactory loggerFactory) => PredictingModel.IsOnnx(Model)
        ? !Precision.Equals("float32", StringComparison.OrdinalIgnoreCase)
            ? throw new CliUsageException($"--precision {Precision} applies to model files (.edmodel); '{Model}' is an exported ONNX graph, which runs as exported.")
            : new PredictingModel.Onnx(OnnxDetector.Load(Model, new OnnxDetectorOptions { Device = Device, LoggerFactory = loggerFactory }))
        : new PredictingModel.Torch(Load(loggerFactory));

    /// <summary>Loads the model file with these runtime settings.</summary>
    /// <exception cref="CliUsageException">The model is an exported graph, which this verb cannot use.</exception>
    public EdDetector Load(Microsoft.Extensions.Logging.ILoggerFactory loggerFactory) => PredictingModel.IsOnnx(Model)
        ? throw new CliUsageException($"'{Model}' is an exported ONNX graph; this verb needs the model file (.edmodel) it was exported from.")
        : EdDetector.Load(
        Model,
        new LoadOptions
        {
            Runtime = new RuntimeOptions { Device = Device, AllowDownload = Download, WeightsCacheDirectory = Cache, Precision = Precision },
            BackboneWeightsPath = BackboneWeights,
            LoggerFactory = loggerFactory,
            // A run of the tool scores its images once and exits: a blank warm-up image would add one image's time to the
            // run, only to make the first image as fast as the others. Services keep the library's default.
            WarmUp = false,
        });
}

using System.ComponentModel;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>Options of the verbs that load a model: <c>test</c> and <c>predict</c>.</summary>
internal class ModelSettings : CommonSettings
{
    [CommandArgument(0, "<MODEL>")]
    [Description("The model file written by fit.")]
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

    /// <summary>Loads the model with these runtime settings.</summary>
    public EdDetector Load(Microsoft.Extensions.Logging.ILoggerFactory loggerFactory) => EdDetector.Load(
        Model,
        new LoadOptions
        {
            Runtime = new RuntimeOptions { Device = Device, AllowDownload = Download, WeightsCacheDirectory = Cache },
            BackboneWeightsPath = BackboneWeights,
            LoggerFactory = loggerFactory,
            // A run of the tool scores its images once and exits: a blank warm-up image would add one image's time to the
            // run, only to make the first image as fast as the others. Services keep the library's default.
            WarmUp = false,
        });
}

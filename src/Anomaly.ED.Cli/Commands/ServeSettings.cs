using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli.Commands;

/// <summary>The options of <c>serve</c>.</summary>
internal sealed class ServeSettings : CommonSettings
{
    [CommandArgument(0, "<MODEL>")]
    [Description("Model files (.edmodel) and exported graphs (.onnx) to host, each under its file name without extension unless --name gives one.")]
    public string[] Models { get; init; } = [];

    [CommandOption("--urls <URLS>")]
    [Description("Where to listen, ';'-separated (default http://127.0.0.1:5000: this machine only; http://0.0.0.0:5000 for every interface).")]
    public string Urls { get; init; } = "http://127.0.0.1:5000";

    [CommandOption("--name <NAME>")]
    [Description("The name of each model, in the order of the files (repeat the option); letters, digits, '.', '_' and '-'.")]
    public string[] Names { get; init; } = [];

    [CommandOption("--api-key <KEY>")]
    [Description("Require this key in the X-Api-Key header of every /v1 request (default: none). The ANOMALY_ED_API_KEY variable sets it too, out of the process list.")]
    public string? ApiKey { get; init; }

    [CommandOption("--max-batch <N>")]
    [Description("The most images one model scores at once (default 8).")]
    public int MaxBatch { get; init; } = new Anomaly.ED.AspNetCore.AnomalyDetectionServiceOptions().MaxBatchSize;

    [CommandOption("--max-wait-ms <N>")]
    [Description("How long the first image of a batch waits for others, in milliseconds (default 5; 0 never waits).")]
    public int MaxWaitMilliseconds { get; init; } = new Anomaly.ED.AspNetCore.AnomalyDetectionServiceOptions().MaxBatchWaitMilliseconds;

    [CommandOption("--queue <N>")]
    [Description("How many images may wait per model before requests are refused with 503 (default 64).")]
    public int Queue { get; init; } = new Anomaly.ED.AspNetCore.AnomalyDetectionServiceOptions().QueueCapacity;

    [CommandOption("--max-request-mb <N>")]
    [Description("The largest request body accepted, in MiB (default 16); larger ones are refused with 413.")]
    public int MaxRequestMegabytes { get; init; } = new Anomaly.ED.AspNetCore.AnomalyDetectionServiceOptions().MaxRequestMegabytes;

    [CommandOption("--cache <DIR>")]
    [Description("The pretrained-weights cache folder the models' backbones are read from.")]
    public string? Cache { get; init; }

    public override ValidationResult Validate()
    {
        var common = base.Validate();
        if (!common.Successful)
        {
            return common;
        }

        if (Models.Length == 0)
        {
            return ValidationResult.Error("serve needs at least one model file.");
        }

        return Names.Length > Models.Length
            ? ValidationResult.Error($"--name is given {Names.Length} times for {Models.Length} model file(s); give at most one name per file.")
            : ValidationResult.Success();
    }
}

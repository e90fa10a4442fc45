using System.Globalization;
using System.Text.RegularExpressions;
using Anomaly.ED.AspNetCore.Models;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.AspNetCore;

/// <summary>
/// Checks the service options at start; every message names the option and its value. A model file needs a registered
/// loader for its extension; the runtime settings checked here are those every kind uses (the EdModels package checks
/// the rest of its own).
/// </summary>
internal sealed partial class AnomalyDetectionServiceOptionsValidator(IEnumerable<IServedModelLoader> loaders) : IValidateOptions<AnomalyDetectionServiceOptions>
{
    private const string EdModelExtension = ".edmodel";

    private readonly HashSet<string> extensions = new(loaders.Select(l => l.Extension), StringComparer.OrdinalIgnoreCase);

    public ValidateOptionsResult Validate(string? name, AnomalyDetectionServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.Models.Count == 0)
        {
            problems.Add("Models is empty: host at least one model file.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Models.Count; i++)
        {
            var model = options.Models[i];
            var key = string.Create(CultureInfo.InvariantCulture, $"Models[{i}]");
            if (string.IsNullOrWhiteSpace(model.Path))
            {
                problems.Add($"{key}.Path is empty.");
                continue;
            }

            if (!File.Exists(model.Path))
            {
                problems.Add($"{key}.Path '{model.Path}' does not exist (looked for {System.IO.Path.GetFullPath(model.Path)}).");
            }

            var extension = System.IO.Path.GetExtension(model.Path);
            if (!extensions.Contains(extension))
            {
                // The service alone carries no TorchSharp: for a model file, name the package that hosts it, and the alternative.
                problems.Add(string.Equals(extension, EdModelExtension, StringComparison.OrdinalIgnoreCase)
                    ? $"{key}.Path '{model.Path}' is an Anomaly.ED model file (.edmodel), which this service hosts only with the package Anomaly.ED.AspNetCore.EdModels (TorchSharp): reference it and call services.AddEdModelFiles(), or serve the model's ONNX export (anomaly-ed export {System.IO.Path.GetFileName(model.Path)} --format onnx)."
                    : $"{key}.Path '{model.Path}' is not a kind of model this service hosts ({string.Join(", ", extensions.Order(StringComparer.Ordinal))}).");
            }

            var served = model.ResolvedName;
            if (!ModelName().IsMatch(served))
            {
                problems.Add($"{key} name '{served}' is not a valid model name (1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit); set {key}.Name.");
            }
            else if (!names.Add(served))
            {
                problems.Add($"{key} name '{served}' is used by another model; set {key}.Name.");
            }
        }

        Positive(problems, nameof(options.MaxBatchSize), options.MaxBatchSize);
        Positive(problems, nameof(options.QueueCapacity), options.QueueCapacity);
        Positive(problems, nameof(options.MaxRequestMegabytes), options.MaxRequestMegabytes);
        Positive(problems, nameof(options.MaxImagePixels), options.MaxImagePixels);
        Positive(problems, nameof(options.RetryAfterSeconds), options.RetryAfterSeconds);
        if (options.MaxBatchWaitMilliseconds < 0)
        {
            problems.Add($"MaxBatchWaitMilliseconds = {options.MaxBatchWaitMilliseconds} must be 0 or more.");
        }

        if (options.MaxRequestMegabytes > 2047)
        {
            problems.Add($"MaxRequestMegabytes = {options.MaxRequestMegabytes} must be at most 2047 (requests are held in memory).");
        }

        if (options.ApiKey is { } apiKey && string.IsNullOrWhiteSpace(apiKey))
        {
            problems.Add("ApiKey is blank; leave it unset for no key.");
        }

        if (options.Runtime is null)
        {
            problems.Add("Runtime is null.");
        }
        else
        {
            if (!DeviceName().IsMatch(options.Runtime.Device ?? string.Empty))
            {
                problems.Add($"Runtime.Device '{options.Runtime.Device}' must be cpu, cuda or cuda:N.");
            }

            if (options.Runtime.IntraOpThreads < 0)
            {
                problems.Add($"Runtime.IntraOpThreads = {options.Runtime.IntraOpThreads} must be null (physical cores), 0 (the runtime's own setting) or positive.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Positive(List<string> problems, string option, long value)
    {
        if (value <= 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{option} = {value} must be positive."));
        }
    }

    // Names are dictionary keys, never joined to a path; the pattern keeps them plain in URLs, logs and metric labels.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    internal static partial Regex ModelName();

    [GeneratedRegex("^(cpu|cuda(:[0-9]+)?)$")]
    private static partial Regex DeviceName();
}

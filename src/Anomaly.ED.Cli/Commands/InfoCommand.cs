using System.Globalization;
using System.Text.Json;
using Anomaly.ED.Cli.Models;
using Anomaly.ED.Methods;
using Anomaly.ED.Cli.Progress;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.OnnxRuntime;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Anomaly.ED.Cli.Commands;

/// <summary><c>info</c>: what a model file holds, read and hash-checked without building a detector.</summary>
internal sealed class InfoCommand(IAnsiConsole console) : CliCommand<InfoSettings>(console)
{
    protected override Task<int> RunAsync(InfoSettings settings, ProgressDisplay display, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var rows = PredictingModel.IsOnnx(settings.Model) ? OnnxRows(settings.Model, loggerFactory) : Rows(ModelFileInfo.Read(settings.Model));
        if (settings.Json)
        {
            Console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(rows.ToDictionary(r => r.Key, r => r.Value), new JsonSerializerOptions { WriteIndented = true }));
            return Task.FromResult(ExitCodes.Success);
        }

        var table = new Table().AddColumn("property").AddColumn("value").Border(TableBorder.Rounded);
        foreach (var (key, value) in rows)
        {
            table.AddRow(Markup.Escape(key), Markup.Escape(value));
        }

        Write(table);
        return Task.FromResult(ExitCodes.Success);
    }

    private static List<KeyValuePair<string, string>> Rows(ModelFileInfo info)
    {
        var o = info.Options;
        var b = o.Backbone;
        var method = MethodDescriptor.For(info.Method);
        var rows = new List<KeyValuePair<string, string>>
        {
            new("file", info.FilePath),
            new("size", string.Create(CultureInfo.InvariantCulture, $"{info.FileSizeBytes / (1024.0 * 1024.0):F2} MiB")),
            new("format version", info.FormatVersion.ToString(CultureInfo.InvariantCulture)),
            new("written by", $"Anomaly.ED {info.LibraryVersion ?? "(unknown)"}"),
            new("content hash", $"sha256 {info.ContentSha256} (verified)"),
            new("method", method.DisplayName),
            new("backbone", $"{info.BackboneArchitecture}, {(info.BackbonePretrained ? "pretrained" : "UNTRAINED")} weights, {(info.BackboneEmbedded ? "stored in the file" : $"read from {info.BackboneSource ?? "(unknown)"}")}"),
            new("backbone fingerprint", info.BackboneFingerprint),
            new("levels", string.Join(" + ", info.Levels)),
            new("input", $"{b.ImageHeight}x{b.ImageWidth} (height x width){(b.KeepAspectRatio ? ", short side + centre crop" : string.Empty)}"),
            new("state", string.Create(CultureInfo.InvariantCulture, $"{info.StateTensors} tensors, {info.StateParameters:N0} values")),
            new("calibration", info.Calibration is { } c ? string.Create(CultureInfo.InvariantCulture, $"threshold {c.Threshold:G6}{(c.Normalization is null ? string.Empty : ", normalised scores")}") : "none (predict gives scores without decisions)"),
        };
        rows.AddRange(method.DescribeSettings(o));
        rows.AddRange(TrainingDataRows(info.TrainingData));
        if (info.CheckpointEpochs is { } epochs)
        {
            rows.Add(new("checkpoint", $"{epochs.Completed} of {epochs.Planned} epochs completed"));
        }

        return rows;
    }

    // An export's metadata, read by ONNX Runtime (which also checks that the graph is one of ours).
    private static List<KeyValuePair<string, string>> OnnxRows(string path, ILoggerFactory loggerFactory)
    {
        using var detector = OnnxDetector.Load(path, new OnnxDetectorOptions { LoggerFactory = loggerFactory });
        var m = detector.Metadata;
        var fullPath = Path.GetFullPath(path);
        var external = fullPath + ".data";
        var rows = new List<KeyValuePair<string, string>>
        {
            new("file", fullPath),
            new("size", string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(fullPath).Length / (1024.0 * 1024.0):F2} MiB{(File.Exists(external) ? $" + {new FileInfo(external).Length / (1024.0 * 1024.0):F2} MiB external data" : string.Empty)}")),
            new("format", $"ONNX export {m.GetValueOrDefault("format_version")}, read by ONNX Runtime"),
            new("written by", $"Anomaly.ED {m.GetValueOrDefault("library_version") ?? "(unknown)"}"),
            new("exported from", m.TryGetValue("source_model_sha256", out var source) ? $"model file with content hash sha256 {source}" : "a detector not saved to a model file"),
            new("method", MethodDescriptor.For(detector.Method).DisplayName),
            new("backbone", $"{m.GetValueOrDefault("backbone")}, fingerprint {m.GetValueOrDefault("backbone_fingerprint")}"),
            new("input", $"uint8 RGB {m.GetValueOrDefault("input_height")}x{m.GetValueOrDefault("input_width")}, resized as: {m.GetValueOrDefault("transform")}"),
            new("arithmetic", m.GetValueOrDefault("precision") is "int8"
                ? $"int8 backbone and matching, ranges from {m.GetValueOrDefault("int8_calibration_images")} calibration images"
                : "float32"),
            new("calibration", detector.Calibration is { } c ? string.Create(CultureInfo.InvariantCulture, $"threshold {c.Threshold:G6}{(c.Normalization is null ? string.Empty : ", normalised scores")}") : "none (predict gives scores without decisions)"),
        };
        if (m.TryGetValue("training_data", out var trainingJson) && JsonSerializer.Deserialize<TrainingDataSummary>(trainingJson, TrainingDataJson) is { } data)
        {
            rows.AddRange(TrainingDataRows(data));
        }

        return rows;
    }

    private static readonly JsonSerializerOptions TrainingDataJson = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    // One line for the whole, then one per source of normal images.
    private static IEnumerable<KeyValuePair<string, string>> TrainingDataRows(TrainingDataSummary? data)
    {
        if (data is null)
        {
            yield return new("training data", "not recorded (the file was written by an earlier version, or is a training checkpoint)");
            yield break;
        }

        var run = data.Epochs is { } epochs ? $", {epochs} epochs" : data.Templates is { } templates ? $", {templates} templates per pixel" : string.Empty;
        yield return new("training data", string.Create(
            CultureInfo.InvariantCulture,
            $"{data.Images} normal images from {data.Sources.Count} source(s), sizes {string.Join(", ", data.ImageSizes)} (width x height), fitted {data.FittedUtc:yyyy-MM-dd HH:mm} UTC{run}"));
        for (var i = 0; i < data.Sources.Count; i++)
        {
            var source = data.Sources[i];
            yield return new(string.Create(CultureInfo.InvariantCulture, $"training source {i + 1}"), string.Create(
                CultureInfo.InvariantCulture,
                $"{source.Name}: {source.Images} images ({string.Join(", ", source.ImageSizes)}) in {source.Root ?? "(no common folder)"}, {source.AddedUtc:yyyy-MM-dd HH:mm} UTC"));
        }
    }
}

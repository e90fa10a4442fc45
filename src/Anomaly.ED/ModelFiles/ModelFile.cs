using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Formats;
using Anomaly.ED.Runtime;
using static TorchSharp.torch;

namespace Anomaly.ED.ModelFiles;

/// <summary>
/// The versioned model file: one safetensors file whose metadata holds the method, the options that define the model
/// (as JSON, read and written by the methods' layer, so that this format knows no method), the calibration, the backbone
/// identity and a content hash, and whose tensors are the method's state (named by the method) and, optionally, the backbone.
/// </summary>
/// <remarks>Options of versions 1 (flat, ED/FOD only) and 2 (every method's settings side by side) are converted on load by <c>Methods/ModelOptionsCodec</c>.</remarks>
/// <remarks>Safetensors cannot run code when read. Files are written atomically by <see cref="SafetensorsWriter"/>.</remarks>
internal static class ModelFile
{
    public const string Format = "anomaly-ed-model";
    public const int FormatVersion = 3;

    private const string BackbonePrefix = "backbone.";
    private const string OptimizerTensor = "training.optimizer";

    // Optional: files written before the library recorded the training data lack it and load as before.
    private const string TrainingDataKey = "training_data";

    internal static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = false,
    };

    /// <summary>Writes the file and returns its content hash (metadata <c>content_sha256</c>).</summary>
    public static string Save(string path, ModelFileContent content)
    {
        var tensors = content.State.ToList();
        if (content.BackboneState is not null)
        {
            tensors.AddRange(content.BackboneState.Select(kv => new KeyValuePair<string, Tensor>(BackbonePrefix + kv.Key, kv.Value)));
        }

        using var scope = NewDisposeScope();
        if (content.Training?.OptimizerState is { } optimizerState)
        {
            tensors.Add(new(OptimizerTensor, tensor(optimizerState, ScalarType.Byte)));
        }

        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["library_version"] = typeof(ModelFile).Assembly.GetName().Version?.ToString() ?? "unknown",
            ["method"] = content.Method,
            ["options"] = content.OptionsJson,
            ["backbone"] = JsonSerializer.Serialize(content.Backbone, Json),
        };
        if (content.Calibration is not null)
        {
            metadata["calibration"] = JsonSerializer.Serialize(content.Calibration, Json);
        }

        if (content.TrainingData is not null)
        {
            metadata[TrainingDataKey] = JsonSerializer.Serialize(content.TrainingData, Json);
        }

        if (content.Training is not null)
        {
            metadata["training"] = JsonSerializer.Serialize(content.Training with { OptimizerState = null }, Json);
        }

        var contentHash = ContentHash(metadata, tensors);
        metadata["content_sha256"] = contentHash;
        SafetensorsWriter.Save(path, tensors, metadata);
        return contentHash;
    }

    public static ModelFileContent Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        }

        SafetensorsFile file;
        try
        {
            file = SafetensorsFile.Open(path);
        }
        catch (SafetensorsFormatException e)
        {
            throw new ModelFileException(path, $"it is not a readable safetensors file (truncated or corrupt): {e.Message}", e);
        }

        using (file)
        {
            var metadata = file.Metadata;
            if (!metadata.TryGetValue("format", out var format) || format != Format)
            {
                throw new ModelFileException(path, $"it is not an Anomaly.ED model (format '{format ?? "(none)"}', expected '{Format}').");
            }

            if (!int.TryParse(metadata.GetValueOrDefault("format_version"), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new ModelFileException(path, "its format_version is missing or not a number.");
            }

            if (version > FormatVersion)
            {
                throw new ModelFileException(path, $"it has format version {version}, newer than this library reads ({FormatVersion}); upgrade Anomaly.ED.");
            }

            using var scope = NewDisposeScope();
            var all = file.ReadAll();
            var expectedHash = metadata.GetValueOrDefault("content_sha256");
            var actualHash = ContentHash(metadata.Where(kv => kv.Key != "content_sha256").ToDictionary(), all.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList());
            if (expectedHash != actualHash)
            {
                throw new ModelFileException(path, "its content hash does not match: the file was modified after it was written.");
            }

            try
            {
                var method = metadata.GetValueOrDefault("method") ?? (version == 1 ? string.Empty : throw new ModelFileException(path, "metadata 'method' is missing."));
                var optionsJson = metadata.GetValueOrDefault("options") ?? throw new ModelFileException(path, "metadata 'options' is missing.");
                var backbone = Deserialize<BackboneRecord>(metadata, "backbone", path);
                var calibration = metadata.ContainsKey("calibration") ? Deserialize<Calibration>(metadata, "calibration", path) : null;
                var training = metadata.ContainsKey("training") ? Deserialize<TrainingState>(metadata, "training", path) : null;
                var trainingData = metadata.ContainsKey(TrainingDataKey) ? Deserialize<TrainingDataSummary>(metadata, TrainingDataKey, path) : null;

                var state = all.Where(kv => !kv.Key.StartsWith(BackbonePrefix, StringComparison.Ordinal) && kv.Key != OptimizerTensor)
                    .ToDictionary(kv => kv.Key, kv => kv.Value.MoveToOuterDisposeScope());
                Dictionary<string, Tensor>? backboneState = null;
                if (backbone.Embedded)
                {
                    backboneState = all.Where(kv => kv.Key.StartsWith(BackbonePrefix, StringComparison.Ordinal))
                        .ToDictionary(kv => kv.Key[BackbonePrefix.Length..], kv => kv.Value.MoveToOuterDisposeScope());
                    if (backboneState.Count == 0)
                    {
                        throw new ModelFileException(path, "it says the backbone weights are embedded, but no 'backbone.*' tensor is present.");
                    }
                }

                if (training is not null && all.TryGetValue(OptimizerTensor, out var optimizer))
                {
                    training = training with { OptimizerState = optimizer.data<byte>().ToArray() };
                }

                return new ModelFileContent(method, optionsJson, version, calibration, backbone, state, backboneState, training, trainingData) { ContentSha256 = actualHash };
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException)
            {
                throw new ModelFileException(path, $"its metadata is malformed: {e.Message}", e);
            }
        }
    }

    private static T Deserialize<T>(IReadOnlyDictionary<string, string> metadata, string key, string path)
    {
        if (!metadata.TryGetValue(key, out var json))
        {
            throw new ModelFileException(path, $"metadata '{key}' is missing.");
        }

        return JsonSerializer.Deserialize<T>(json, Json) ?? throw new ModelFileException(path, $"metadata '{key}' is null.");
    }

    private static string ContentHash(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<KeyValuePair<string, Tensor>> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (key, value) in metadata.Where(kv => kv.Key != "content_sha256").OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{key}={value}\n"));
        }

        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            TensorCopies.AppendTo(hash, name, tensor);
        }

        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}

/// <summary>Everything a model file holds; the tensors belong to whoever holds this record.</summary>
/// <param name="Method">The method's name as the file records it (empty in version-1 files, whose options name it).</param>
/// <param name="OptionsJson">The options that define the model, as JSON of format <paramref name="OptionsVersion"/>.</param>
/// <param name="OptionsVersion">The file format version the options were written in.</param>
/// <param name="Calibration">The decision rule, if any.</param>
/// <param name="Backbone">The backbone's identity.</param>
/// <param name="State">The method's tensors, named by the method.</param>
/// <param name="BackboneState">The backbone weights when embedded.</param>
/// <param name="Training">The training state of a checkpoint.</param>
/// <param name="TrainingData">What the model learned from, when recorded.</param>
internal sealed record ModelFileContent(
    string Method,
    string OptionsJson,
    int OptionsVersion,
    Calibration? Calibration,
    BackboneRecord Backbone,
    IReadOnlyDictionary<string, Tensor> State,
    Dictionary<string, Tensor>? BackboneState,
    TrainingState? Training,
    TrainingDataSummary? TrainingData = null) : IDisposable
{
    /// <summary>The verified content hash of the file this was read from; null for content not read from a file.</summary>
    public string? ContentSha256 { get; init; }

    public void Dispose()
    {
        foreach (var tensor in State.Values.Concat(BackboneState?.Values ?? Enumerable.Empty<Tensor>()))
        {
            tensor.Dispose();
        }
    }
}

/// <summary>The backbone a model was trained with: its architecture, the fingerprint of its weights, and whether the weights are in the file.</summary>
internal sealed record BackboneRecord(string Architecture, string Fingerprint, bool Pretrained, bool Embedded, string? Source);

/// <summary>Training state kept in checkpoints, so training can resume.</summary>
internal sealed record TrainingState(int EpochsCompleted, int Epochs, byte[]? OptimizerState, double? BestMetric, int BestEpoch);

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.ModelFiles;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Anomaly.ED.OnnxRuntime;

/// <summary>
/// What an exported graph declares, checked against what the exporter writes: the metadata (format, method, input size,
/// preprocessing, calibration) and the interface (uint8 <c>image</c> (batch, height, width, 3) in; <c>anomaly_map</c>,
/// <c>score</c>, <c>unsmoothed_map</c> (absent from exports written before it existed) and, when calibrated, <c>is_anomalous</c> and <c>normalized_score</c> out). Anything else is a
/// <see cref="ModelFileException"/> naming the file and the entry or tensor at fault.
/// </summary>
internal sealed record ExportedGraph(
    DetectorMethod Method,
    int Height,
    int Width,
    ImageTransform Transform,
    Calibration? Calibration,
    bool HasNormalizedScore,
    bool HasDecision,
    bool HasUnsmoothedMap,
    IReadOnlyDictionary<string, string> Metadata)
{
    public const string Format = "anomaly-ed-onnx";
    public const int FormatVersion = 1;
    public const string ImageInput = "image";
    public const string MapOutput = "anomaly_map";
    public const string ScoreOutput = "score";
    public const string UnsmoothedMapOutput = "unsmoothed_map";
    public const string NormalizedScoreOutput = "normalized_score";
    public const string DecisionOutput = "is_anomalous";

    // As the library writes them: enums by name.
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public static ExportedGraph Read(InferenceSession session, string path)
    {
        var metadata = new Dictionary<string, string>(session.ModelMetadata.CustomMetadataMap, StringComparer.Ordinal);
        var format = metadata.GetValueOrDefault("format");
        if (format != Format)
        {
            throw new ModelFileException(path, $"it is an ONNX model, but not one exported by Anomaly.ED (metadata 'format' is '{format ?? "(none)"}', expected '{Format}').");
        }

        var version = Integer(metadata, "format_version", path);
        if (version > FormatVersion)
        {
            throw new ModelFileException(path, $"it has export format version {version}, newer than this package reads ({FormatVersion}); upgrade Anomaly.ED.OnnxRuntime.");
        }

        if (!Enum.TryParse<DetectorMethod>(Required(metadata, "method", path), ignoreCase: false, out var method) || !Enum.IsDefined(method))
        {
            throw new ModelFileException(path, $"metadata 'method' names no method this package knows ('{metadata["method"]}').");
        }

        var height = Integer(metadata, "input_height", path);
        var width = Integer(metadata, "input_width", path);
        RequireTensor(session.InputMetadata, ImageInput, TensorElementType.UInt8, [-1, height, width, 3], "input", path);
        RequireTensor(session.OutputMetadata, MapOutput, TensorElementType.Float, [-1, height, width], "output", path);
        RequireTensor(session.OutputMetadata, ScoreOutput, TensorElementType.Float, [-1], "output", path);
        if (session.InputMetadata.Count != 1)
        {
            throw new ModelFileException(path, $"it has {session.InputMetadata.Count} inputs; an export has one, '{ImageInput}'.");
        }

        var transform = Deserialize<ImageTransform, ImageTransformOptions>(metadata, "transform", path, options =>
        {
            var t = new ImageTransform(options);
            // Every image, whatever its size, must come out at the graph's fixed input size.
            var (h, w) = t.GetOutputSize(height, width);
            var other = t.GetOutputSize((2 * height) + 1, (3 * width) + 7);
            return (h, w) == (height, width) && other == (height, width) ? t : throw new ArgumentException($"the transform gives {h}x{w} images, not the input's {height}x{width}.");
        });
        var calibration = metadata.ContainsKey("calibration") ? Deserialize<Calibration>(metadata, "calibration", path, c => c) : null;
        var hasNormalized = session.OutputMetadata.ContainsKey(NormalizedScoreOutput);
        var hasDecision = session.OutputMetadata.ContainsKey(DecisionOutput);
        var hasUnsmoothed = session.OutputMetadata.ContainsKey(UnsmoothedMapOutput);
        if (hasUnsmoothed)
        {
            RequireTensor(session.OutputMetadata, UnsmoothedMapOutput, TensorElementType.Float, [-1, height, width], "output", path);
        }

        if (hasNormalized)
        {
            RequireTensor(session.OutputMetadata, NormalizedScoreOutput, TensorElementType.Float, [-1], "output", path);
        }

        if (hasDecision)
        {
            RequireTensor(session.OutputMetadata, DecisionOutput, TensorElementType.Bool, [-1], "output", path);
        }

        // The graph's decision outputs and the metadata's calibration must tell the same story.
        if (hasDecision != calibration is not null || hasNormalized != calibration?.Normalization is not null)
        {
            throw new ModelFileException(path, $"its outputs ({string.Join(", ", session.OutputMetadata.Keys)}) do not match its metadata 'calibration' ({(calibration is null ? "none" : calibration.Normalization is null ? "threshold only" : "threshold and normalisation")}).");
        }

        return new ExportedGraph(method, height, width, transform, calibration, hasNormalized, hasDecision, hasUnsmoothed, metadata.AsReadOnly());
    }

    private static void RequireTensor(IReadOnlyDictionary<string, NodeMetadata> tensors, string name, TensorElementType type, int[] dimensions, string kind, string path)
    {
        if (!tensors.TryGetValue(name, out var tensor))
        {
            throw new ModelFileException(path, $"it has no {kind} tensor '{name}' (it has {string.Join(", ", tensors.Keys)}).");
        }

        if (!tensor.IsTensor || tensor.ElementDataType != type || !tensor.Dimensions.SequenceEqual(dimensions))
        {
            var actual = tensor.IsTensor ? $"{tensor.ElementDataType} [{string.Join(", ", tensor.Dimensions)}]" : tensor.OnnxValueType.ToString();
            throw new ModelFileException(path, $"its {kind} tensor '{name}' is {actual}; the metadata's input size needs {type} [{string.Join(", ", dimensions)}] (-1: the batch).");
        }
    }

    private static string Required(Dictionary<string, string> metadata, string key, string path) =>
        metadata.GetValueOrDefault(key) ?? throw new ModelFileException(path, $"metadata '{key}' is missing.");

    private static int Integer(Dictionary<string, string> metadata, string key, string path) =>
        int.TryParse(Required(metadata, key, path), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ModelFileException(path, $"metadata '{key}' is not a positive integer ('{metadata[key]}').");

    private static T Deserialize<T, TJson>(Dictionary<string, string> metadata, string key, string path, Func<TJson, T> check)
    {
        try
        {
            var value = JsonSerializer.Deserialize<TJson>(Required(metadata, key, path), Json) ?? throw new JsonException("null");
            return check(value);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        {
            throw new ModelFileException(path, $"metadata '{key}' is malformed: {e.Message}", e);
        }
    }

    private static T Deserialize<T>(Dictionary<string, string> metadata, string key, string path, Func<T, T> check) =>
        Deserialize<T, T>(metadata, key, path, check);
}

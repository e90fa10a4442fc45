using System.Globalization;
using System.Text.Json;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.OnnxRuntime;

namespace Anomaly.ED.AspNetCore.Models;

/// <summary>
/// An exported graph's <see cref="ModelDetails"/>, read from its metadata alone: the options of the model it came from
/// are JSON there, read as a document because their types (and the method descriptors that describe them) live in the
/// TorchSharp library, which the service does not reference.
/// </summary>
internal static class ExportedGraphDetails
{
    private const string BackboneGroup = "Backbone";

    /// <exception cref="ModelFileException">The graph's <c>options</c> metadata is missing or not a JSON object.</exception>
    public static ModelDetails Read(string path, OnnxDetector detector)
    {
        var metadata = detector.Metadata;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(metadata.GetValueOrDefault("options") ?? throw new ModelFileException(path, "metadata 'options' is missing."));
        }
        catch (JsonException e)
        {
            throw new ModelFileException(path, $"metadata 'options' is not JSON: {e.Message}", e);
        }

        using (document)
        {
            var options = document.RootElement;
            if (options.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFileException(path, "metadata 'options' is not a JSON object.");
            }

            var backbone = options.TryGetProperty(BackboneGroup, out var b) && b.ValueKind == JsonValueKind.Object ? b : default;
            return new ModelDetails(
                Path.GetFileName(path),
                new FileInfo(path).Length,
                int.Parse(metadata.GetValueOrDefault("format_version", "0"), CultureInfo.InvariantCulture),
                metadata.GetValueOrDefault("library_version"),
                metadata.GetValueOrDefault("source_model_sha256", string.Empty),

                // Every method's display name is its enum name in capitals (ED, FOD, HETMM), as the descriptors write it.
                detector.Method.ToString().ToUpperInvariant(),
                metadata.GetValueOrDefault("backbone") ?? string.Empty,
                !(Member(backbone, "AllowUntrained") is { ValueKind: JsonValueKind.True }),
                Member(backbone, "Levels") is { ValueKind: JsonValueKind.Array } levels ? [.. levels.EnumerateArray().Select(Text)] : [],
                int.Parse(metadata.GetValueOrDefault("input_height", "0"), CultureInfo.InvariantCulture),
                int.Parse(metadata.GetValueOrDefault("input_width", "0"), CultureInfo.InvariantCulture),
                detector.Calibration?.Threshold,
                detector.Calibration?.Normalization is not null,
                null,
                Settings(options));
        }
    }

    // The method's settings group (Ed for ED and FOD, Hetmm; exactly one is set), one row per option as configuration names it.
    private static Dictionary<string, string> Settings(JsonElement options) =>
        options.EnumerateObject()
            .Where(group => group.Name != BackboneGroup && group.Value.ValueKind == JsonValueKind.Object)
            .SelectMany(group => group.Value.EnumerateObject())
            .Where(option => option.Value.ValueKind != JsonValueKind.Null)
            .ToDictionary(option => CamelCase(option.Name), option => Text(option.Value), StringComparer.Ordinal);

    private static JsonElement? Member(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : null;

    // Nested groups read "name value, name value"; lists are joined with '/', as info writes d_model 256/256.
    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => string.Join(", ", value.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => $"{CamelCase(p.Name)} {Text(p.Value)}")),
        JsonValueKind.Array => string.Join("/", value.EnumerateArray().Select(Text)),
        JsonValueKind.String => value.GetString()!,
        _ => value.GetRawText(),
    };

    private static string CamelCase(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
}

using System.Text.Json;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED.Methods;

/// <summary>Writes a model's options into its file and reads them back from every format version, asking each method's descriptor for its own settings.</summary>
internal static class ModelOptionsCodec
{
    /// <summary>The options' JSON as the current format writes it.</summary>
    public static string Write(DetectorOptions options) => JsonSerializer.Serialize(options, ModelFile.Json);

    /// <summary>The completed, validated options of a model file's content.</summary>
    /// <exception cref="ModelFileException">The options are malformed, invalid, or contradict the recorded method.</exception>
    public static DetectorOptions Read(ModelFileContent content, string path)
    {
        DetectorOptions options;
        try
        {
            options = content.OptionsVersion switch
            {
                1 => ModelFileV1Options.Read(content.OptionsJson, ModelFile.Json),
                2 => ReadVersion2(content.OptionsJson),
                _ => JsonSerializer.Deserialize<DetectorOptions>(content.OptionsJson, ModelFile.Json) ?? throw new JsonException("metadata 'options' is null."),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ModelFileException(path, $"its options are malformed: {e.Message}", e);
        }

        if (DetectorOptionsValidator.ModelFileFailures(options) is { Count: > 0 } problems)
        {
            throw new ModelFileException(path, "its options are invalid: " + string.Join(" ", problems));
        }

        if (content.OptionsVersion > 1 && content.Method != options.Method.ToString())
        {
            throw new ModelFileException(path, $"its metadata names method '{content.Method}' but its options describe {options.Method}.");
        }

        MethodRegistry.Get(options.Method).Complete(options);
        return options;
    }

    // Version 2 held every method's settings side by side; the chosen method's descriptor takes its own.
    private static DetectorOptions ReadVersion2(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var options = new DetectorOptions
        {
            Method = root.GetProperty(nameof(DetectorOptions.Method)).Deserialize<DetectorMethod>(ModelFile.Json),
            Backbone = root.GetProperty(nameof(DetectorOptions.Backbone)).Deserialize<BackboneOptions>(ModelFile.Json) ?? throw new JsonException("'Backbone' is null."),
            Seed = root.GetProperty(nameof(DetectorOptions.Seed)).GetInt32(),
        };
        if (!Enum.IsDefined(options.Method))
        {
            throw new JsonException($"method {options.Method} is unknown.");
        }

        MethodRegistry.Get(options.Method).ReadVersion2Settings(root, ModelFile.Json, options);
        return options;
    }
}

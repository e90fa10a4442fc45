using System.Globalization;
using System.Text.Json;
using Anomaly.ED.Export;
using Anomaly.ED.ModelFiles;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods;

/// <summary>
/// Exports a fitted model as one ONNX graph from the resized uint8 image to the decision: input <c>image</c>
/// (batch, height, width, 3) RGB, outputs <c>anomaly_map</c> (batch, height, width) as <c>Predict</c> returns it,
/// <c>unsmoothed_map</c> (the map before smoothing, for evaluation), <c>score</c> (batch) and, when calibrated, <c>is_anomalous</c> and (with a normalisation) <c>normalized_score</c>.
/// </summary>
internal static class OnnxExporter
{
    /// <summary>The <c>format</c> metadata value of an exported graph.</summary>
    public const string Format = "anomaly-ed-onnx";

    public const int FormatVersion = 1;

    /// <summary>Writes the ONNX file.</summary>
    /// <param name="model">A fitted model.</param>
    /// <param name="path">The <c>.onnx</c> file, replaced atomically.</param>
    /// <param name="sourceModelHash">The content hash of the model file the model was loaded from, recorded in the metadata; null for none.</param>
    /// <param name="singleFileLimit">The initializer bytes above which they go to an external data file beside the model.</param>
    /// <returns>The external data file, or null when the model is one file.</returns>
    /// <exception cref="InvalidOperationException">The model is not fitted.</exception>
    /// <exception cref="NotSupportedException">The method or the backbone has no ONNX export yet.</exception>
    public static string? Export(DetectorModel model, string path, string? sourceModelHash = null, long singleFileLimit = OnnxModelWriter.DefaultSingleFileLimit)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!model.IsFitted)
        {
            throw new InvalidOperationException("Only a fitted model can be exported to ONNX.");
        }

        return OnnxModelWriter.Write(Build(model, sourceModelHash), path, singleFileLimit);
    }

    private static Formats.Onnx.ModelProto Build(DetectorModel model, string? sourceModelHash = null)
    {
        var method = model.OnnxGraph();
        using var scope = NewDisposeScope();
        var graph = new OnnxGraphBuilder(model.Options.Method.ToString().ToLowerInvariant());
        var images = OnnxBackbone.AddImageInput(graph, model.Height, model.Width, model.Transform.Options);
        var features = OnnxBackbone.AddFeatures(graph, model.Extractor, images);
        var (unsmoothed, map, score) = method.AddGraph(graph, features);
        OnnxPostProcessing.AddOutputs(graph, unsmoothed, map, score, model.Height, model.Width, model.Calibration);
        return graph.ToModel(Metadata(model, sourceModelHash));
    }

    private static Dictionary<string, string> Metadata(DetectorModel model, string? sourceModelHash)
    {
        var json = ModelFile.Json;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["library_version"] = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "unknown",
            ["method"] = model.Options.Method.ToString(),
            ["backbone"] = model.Backbone.Architecture,
            ["backbone_fingerprint"] = model.Backbone.Fingerprint,
            ["input_height"] = model.Height.ToString(CultureInfo.InvariantCulture),
            ["input_width"] = model.Width.ToString(CultureInfo.InvariantCulture),
            ["options"] = ModelOptionsCodec.Write(model.Options),

            // How a client resizes (and crops) an image to the input: the library's filters reproduce it bit for bit.
            ["transform"] = JsonSerializer.Serialize(model.Transform.Options, json),
        };
        if (model.Calibration is not null)
        {
            metadata["calibration"] = JsonSerializer.Serialize(model.Calibration, json);
        }

        if (model.TrainingData is not null)
        {
            metadata["training_data"] = JsonSerializer.Serialize(model.TrainingData, json);
        }

        if (sourceModelHash is not null)
        {
            metadata["source_model_sha256"] = sourceModelHash;
        }

        return metadata;
    }
}

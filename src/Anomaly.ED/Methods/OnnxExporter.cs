using System.Globalization;
using System.Text.Json;
using Anomaly.ED.Data;
using Anomaly.ED.Export;
using Anomaly.ED.Export.Int8;
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

    // Images per calibration batch: the backbone's activations of a batch are all held while its ranges are read.
    private const int CalibrationBatch = 8;

    /// <summary>Writes the ONNX file.</summary>
    /// <param name="model">A fitted model.</param>
    /// <param name="path">The <c>.onnx</c> file, replaced atomically.</param>
    /// <param name="options">Validated options (the precision, its calibration images, the external data threshold); null for a float32 graph in one file where it fits.</param>
    /// <param name="sourceModelHash">The content hash of the model file the model was loaded from, recorded in the metadata; null for none.</param>
    /// <param name="cancellationToken">Stops an int8 calibration between batches.</param>
    /// <returns>The external data file, or null when the model is one file.</returns>
    /// <exception cref="InvalidOperationException">The model is not fitted.</exception>
    /// <exception cref="NotSupportedException">The method or the backbone has no ONNX export yet, or none in the precision asked for.</exception>
    public static string? Export(DetectorModel model, string path, OnnxExportOptions? options = null, string? sourceModelHash = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new OnnxExportOptions();
        if (!model.IsFitted)
        {
            throw new InvalidOperationException("Only a fitted model can be exported to ONNX.");
        }

        var graph = Build(model, options, sourceModelHash, cancellationToken);
        return OnnxModelWriter.Write(graph, path, options.ExternalDataThresholdBytes ?? OnnxModelWriter.DefaultSingleFileLimit);
    }

    private static Formats.Onnx.ModelProto Build(DetectorModel model, OnnxExportOptions options, string? sourceModelHash, CancellationToken cancellationToken)
    {
        // Asked first, so that a method without an int8 graph fails before the calibration runs.
        var method = model.OnnxGraph(options.Precision);
        var ranges = options.Precision == OnnxPrecision.Int8 ? Calibrate(model, options.CalibrationImages, cancellationToken) : null;
        using var scope = NewDisposeScope();
        var graph = new OnnxGraphBuilder(model.Options.Method.ToString().ToLowerInvariant());
        var images = OnnxBackbone.AddImageInput(graph, model.Height, model.Width, model.Transform.Options);
        var features = ranges is null
            ? OnnxBackbone.AddFeatures(graph, model.Extractor, images)
            : OnnxInt8Backbone.AddFeatures(graph, model.Extractor, images, model.Transform.Options, ranges);
        var (unsmoothed, map, score) = method.AddGraph(graph, features);
        OnnxPostProcessing.AddOutputs(graph, unsmoothed, map, score, model.Height, model.Width, model.Calibration);
        return graph.ToModel(Metadata(model, options, sourceModelHash));
    }

    // The images decoded and transformed as for a prediction, CalibrationBatch at a time.
    private static IReadOnlyDictionary<string, ActivationRange> Calibrate(DetectorModel model, IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        return BackboneCalibration.Run(model.Extractor, Batches(), cancellationToken);

        IEnumerable<Tensor> Batches()
        {
            foreach (var chunk in images.Chunk(CalibrationBatch))
            {
                var decoded = new ImageBuffer[chunk.Length];
                Parallel.For(0, chunk.Length, i => decoded[i] = ImageDecoder.DecodeRgb(chunk[i]));
                var transformed = decoded.Select(model.Transform.TransformImage).ToArray();
                var batch = stack(transformed);
                Array.ForEach(transformed, t => t.Dispose());
                yield return batch;
            }
        }
    }

    private static Dictionary<string, string> Metadata(DetectorModel model, OnnxExportOptions options, string? sourceModelHash)
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
            ["precision"] = options.Precision.ToString().ToLowerInvariant(),

            // How a client resizes (and crops) an image to the input: the library's filters reproduce it bit for bit.
            ["transform"] = JsonSerializer.Serialize(model.Transform.Options, json),
        };
        if (options.Precision == OnnxPrecision.Int8)
        {
            metadata["int8_calibration_images"] = options.CalibrationImages.Count.ToString(CultureInfo.InvariantCulture);
        }

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

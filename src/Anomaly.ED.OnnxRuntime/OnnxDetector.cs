using System.Diagnostics;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Runtime;
using Anomaly.ED.Scoring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Anomaly.ED.OnnxRuntime;

/// <summary>
/// A detector exported by Anomaly.ED (<c>EdDetector.ExportOnnx</c>, <c>anomaly-ed export</c>) run with ONNX Runtime,
/// without libtorch: it decodes and resizes images as the library does (bit for bit), runs the graph in batches and
/// returns the same <see cref="AnomalyPrediction"/> as <c>EdDetector.Predict</c>, within float rounding.
/// </summary>
/// <remarks>Thread safety: predictions may run concurrently from any number of threads; <see cref="Dispose"/> waits for them.</remarks>
public sealed class OnnxDetector : IDisposable
{
    private readonly InferenceSession session;
    private readonly string path;
    private readonly ExportedGraph graph;
    private readonly string[] outputNames;
    private readonly string[] outputNamesWithUnsmoothed;
    private readonly UsageGate gate = new(nameof(OnnxDetector));

    private OnnxDetector(InferenceSession session, ExportedGraph graph, string path)
    {
        this.session = session;
        this.path = path;
        this.graph = graph;
        outputNames = [ExportedGraph.MapOutput, ExportedGraph.ScoreOutput, .. graph.HasNormalizedScore ? [ExportedGraph.NormalizedScoreOutput] : Array.Empty<string>(), .. graph.HasDecision ? [ExportedGraph.DecisionOutput] : Array.Empty<string>()];
        outputNamesWithUnsmoothed = graph.HasUnsmoothedMap ? [.. outputNames, ExportedGraph.UnsmoothedMapOutput] : outputNames;
    }

    /// <summary>The method the detector was trained with.</summary>
    public DetectorMethod Method => graph.Method;

    /// <summary>The decision rule in the graph (threshold and optional score normalisation), or null when the model was not calibrated.</summary>
    public Calibration? Calibration => graph.Calibration;

    /// <summary>The resize (and crop) that brings an image to the graph's input, as the model was trained with it.</summary>
    internal ImageTransform Transform => graph.Transform;

    /// <summary>The graph's metadata as the exporter wrote it (method, backbone and fingerprint, input size, preprocessing,
    /// calibration, training data, library version, <c>source_model_sha256</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata => graph.Metadata;

    /// <summary>Loads an exported <c>.onnx</c> file (with its <c>.data</c> file beside it when it has one).</summary>
    /// <param name="path">The exported file.</param>
    /// <param name="options">Device, threads and logging; null for the CPU defaults.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFileException">The file is truncated, corrupt, not ONNX, not exported by Anomaly.ED, of a newer
    /// export format, or declares tensors other than its metadata says; the message names the file and the tensor or entry.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static OnnxDetector Load(string path, OnnxDetectorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var settings = options ?? new OnnxDetectorOptions();
        var cudaDevice = settings.CudaDevice();
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"ONNX model '{fullPath}' does not exist.", fullPath);
        }

        var watch = Stopwatch.StartNew();
        InferenceSession session;
        using (var sessionOptions = SessionOptions(settings, cudaDevice, fullPath))
        {
            try
            {
                session = new InferenceSession(fullPath, sessionOptions);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelFileException(fullPath, $"ONNX Runtime cannot load it (truncated, corrupt, or not an ONNX model): {e.Message}", e);
            }
        }

        try
        {
            var detector = new OnnxDetector(session, ExportedGraph.Read(session, fullPath), fullPath);
            var logger = (settings.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<OnnxDetector>();
            Log.Loaded(logger, fullPath, detector.Method.ToString(), cudaDevice is { } d ? $"cuda:{d}" : "cpu", watch.Elapsed.TotalSeconds);
            return detector;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Scores one image file.</summary>
    /// <param name="imagePath">A PNG, BMP or JPEG file.</param>
    /// <param name="predictOptions">Output options; null for the defaults.</param>
    /// <exception cref="ImageDecodeException">The file cannot be read or decoded; the message names it.</exception>
    /// <exception cref="ModelFileException">ONNX Runtime cannot run the graph (a damaged file that still loaded).</exception>
    public AnomalyPrediction Predict(string imagePath, PredictOptions? predictOptions = null)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        return Predict([imagePath], predictOptions)[0];
    }

    /// <summary>Scores one encoded image (PNG, BMP or JPEG bytes).</summary>
    /// <param name="encodedImage">The file content.</param>
    /// <param name="predictOptions">Output options; null for the defaults.</param>
    /// <exception cref="ImageDecodeException">The bytes are not a decodable image.</exception>
    public AnomalyPrediction Predict(byte[] encodedImage, PredictOptions? predictOptions = null)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        return PredictDecoded([(ImageDecoder.DecodeRgb(encodedImage, "(bytes)"), null)], predictOptions)[0];
    }

    /// <summary>Scores a batch of image files, decoding them in parallel and running the graph in batches of <see cref="PredictOptions.BatchSize"/>.</summary>
    /// <param name="imagePaths">PNG, BMP or JPEG files.</param>
    /// <param name="predictOptions">Output options; null for the defaults.</param>
    /// <returns>One prediction per path, in order.</returns>
    public IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<string> imagePaths, PredictOptions? predictOptions = null)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        var decoded = new (ImageBuffer Image, string? Path)[imagePaths.Count];
        Parallel.For(0, imagePaths.Count, i => decoded[i] = (ImageDecoder.DecodeRgb(imagePaths[i]), imagePaths[i]));
        return PredictDecoded(decoded, predictOptions);
    }

    /// <summary>Scores decoded RGB images (<see cref="ImageDecoder.DecodeRgb(string)"/>), resized here as the model expects, in
    /// batches of <see cref="PredictOptions.BatchSize"/>.</summary>
    /// <param name="images">Three-channel images of any size.</param>
    /// <param name="predictOptions">Output options; null for the defaults.</param>
    /// <returns>One prediction per image, in order, without a source path.</returns>
    /// <exception cref="ArgumentException">An image does not have three channels.</exception>
    public IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<ImageBuffer> images, PredictOptions? predictOptions = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        foreach (var image in images)
        {
            ImageTransform.RequireChannels(image, 3, "image", "ImageDecoder.DecodeRgb");
        }

        return PredictDecoded([.. images.Select(i => (i, (string?)null))], predictOptions);
    }

    /// <summary>A ground-truth mask in the geometry of this detector's maps, as the TorchSharp detector's evaluation reads
    /// it: resized by the model's mask resampling (nearest for the reference methods), centre-cropped, true where defective.</summary>
    /// <param name="mask">The decoded one-channel mask (<see cref="ImageDecoder.DecodeGray(string)"/>), of its image's size.</param>
    /// <returns>Height x width values of the model's input, row-major like <see cref="AnomalyMap.Values"/>.</returns>
    /// <exception cref="ArgumentException">The mask does not have one channel.</exception>
    public bool[] TransformMask(ImageBuffer mask)
    {
        ImageTransform.RequireChannels(mask, 1, "mask", "ImageDecoder.DecodeGray");
        var (height, width) = graph.Transform.GetOutputSize(mask.Height, mask.Width);
        var values = new float[height * width];
        graph.Transform.WriteMask(mask, values);
        return Array.ConvertAll(values, v => v > 0.5f);
    }

    /// <summary>Carries a map at the model's input resolution back to an image of the given size (the inverse of the resize
    /// and centre crop; the cropped-away border takes the map's minimum), as <c>DetectorHeatmaps.ToImageGeometry</c> does
    /// for the TorchSharp detector. A map already of that size is returned as is.</summary>
    /// <param name="map">A map of this detector, at its input resolution or already at the image's.</param>
    /// <param name="imageHeight">The source image's height.</param>
    /// <param name="imageWidth">The source image's width.</param>
    /// <exception cref="ArgumentException">The map has neither the model's size nor the image's.</exception>
    public AnomalyMap ToImageGeometry(AnomalyMap map, int imageHeight, int imageWidth)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        if (map.Height == imageHeight && map.Width == imageWidth)
        {
            return map;
        }

        return map.Height == graph.Height && map.Width == graph.Width
            ? OriginalResolution.Map(graph.Transform, map, imageHeight, imageWidth)
            : throw new ArgumentException($"The map is {map.Height}x{map.Width}; expected the model's {graph.Height}x{graph.Width} or the image's {imageHeight}x{imageWidth}.", nameof(map));
    }

    /// <summary>Releases the inference session; waits for running predictions.</summary>
    public void Dispose() => gate.Close(session.Dispose);

    private AnomalyPrediction[] PredictDecoded(IReadOnlyList<(ImageBuffer Image, string? Path)> images, PredictOptions? predictOptions)
    {
        var predict = predictOptions ?? new PredictOptions();
        predict.Validate();
        using (gate.Read())
        {
            return images.Chunk(predict.BatchSize).SelectMany(chunk => Run(chunk, predict.MapAtOriginalResolution, predict.IncludeUnsmoothedMap)).ToArray();
        }
    }

    // One forward pass over images resized to the input, in the graph's (batch, height, width, 3) layout.
    private AnomalyPrediction[] Run((ImageBuffer Image, string? Path)[] chunk, bool originalResolution, bool includeUnsmoothed)
    {
        int height = graph.Height, width = graph.Width, pixels = height * width;
        var input = new byte[chunk.Length * pixels * 3];
        Parallel.For(0, chunk.Length, i => WriteResized(chunk[i].Image, input.AsSpan(i * pixels * 3, pixels * 3)));
        using var value = OrtValue.CreateTensorValueFromMemory(input, [chunk.Length, height, width, 3]);
        using var runOptions = new RunOptions();
        var names = includeUnsmoothed ? outputNamesWithUnsmoothed : outputNames;
        using var outputs = RunGraph(runOptions, value, names);
        var maps = outputs[0].GetTensorDataAsSpan<float>();
        var scores = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        var normalized = graph.HasNormalizedScore ? outputs[2].GetTensorDataAsSpan<float>().ToArray() : null;
        var decisions = graph.HasDecision ? outputs[outputNames.Length - 1].GetTensorDataAsSpan<bool>().ToArray() : null;
        var unsmoothed = names.Length > outputNames.Length ? outputs[outputNames.Length].GetTensorDataAsSpan<float>() : [];
        var predictions = new AnomalyPrediction[chunk.Length];
        for (var i = 0; i < chunk.Length; i++)
        {
            var image = chunk[i].Image;
            AnomalyMap Geometry(AnomalyMap map) => originalResolution ? OriginalResolution.Map(graph.Transform, map, image.Height, image.Width) : map;
            predictions[i] = new AnomalyPrediction(scores[i], normalized?[i], decisions?[i], Geometry(new AnomalyMap(height, width, maps.Slice(i * pixels, pixels).ToArray())), chunk[i].Path)
            {
                UnsmoothedMap = unsmoothed.IsEmpty ? null : Geometry(new AnomalyMap(height, width, unsmoothed.Slice(i * pixels, pixels).ToArray())),
            };
        }

        return predictions;
    }

    // A graph that loads but cannot run is a damaged file, not a caller's error.
    private IDisposableReadOnlyCollection<OrtValue> RunGraph(RunOptions runOptions, OrtValue image, string[] names)
    {
        try
        {
            return session.Run(runOptions, [ExportedGraph.ImageInput], [image], names);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelFileException(path, $"ONNX Runtime cannot run its graph: {e.Message}", e);
        }
    }

    // The library's own resize and crop, so the graph sees the pixels the TorchSharp detector normalises.
    private void WriteResized(ImageBuffer image, Span<byte> destination)
    {
        var resized = graph.Transform.ResizeImage(image);
        var box = graph.Transform.GetCropBox(resized.Height, resized.Width);
        var row = box.Width * 3;
        for (var y = 0; y < box.Height; y++)
        {
            resized.Pixels.AsSpan((((box.Top + y) * resized.Width) + box.Left) * 3, row).CopyTo(destination.Slice(y * row, row));
        }
    }

    private static SessionOptions SessionOptions(OnnxDetectorOptions settings, int? cudaDevice, string path)
    {
        var options = new SessionOptions();
        try
        {
            if (settings.IntraOpThreads is { } threads)
            {
                options.IntraOpNumThreads = threads;
            }

            if (cudaDevice is { } device)
            {
                options.AppendExecutionProvider_CUDA(device);
            }

            return options;
        }
        catch (OnnxRuntimeException e)
        {
            options.Dispose();
            throw new InvalidOperationException($"Cannot run '{path}' on cuda:{cudaDevice}: ONNX Runtime's CUDA execution provider is not available ({e.Message}). Reference Microsoft.ML.OnnxRuntime.Gpu and install CUDA, or use the CPU.", e);
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}

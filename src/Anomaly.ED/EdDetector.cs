using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Export;
using Anomaly.ED.Formats;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Methods;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Runtime;
using Anomaly.ED.Training;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Anomaly.ED;

/// <summary>
/// An anomaly detector running one method (ED, FOD, HETMM): learns from defect-free images (<see cref="Fit(ImageDataset, FitOptions?, IProgress{TrainingProgress}?, CancellationToken)"/>),
/// then scores images and localises defects (<see cref="Predict(string, PredictOptions?)"/>), evaluates on labelled data,
/// and saves to or loads from one model file. Build one with <see cref="EdDetectorBuilder"/> or <see cref="Load"/>.
/// </summary>
/// <remarks>
/// Thread safety: prediction and evaluation may run concurrently from any number of threads; fitting, calibration and
/// disposal take exclusive access and wait for running predictions. Every prediction's tensors are released before it
/// returns, so long-running inference does not grow native memory.
/// </remarks>
public sealed class EdDetector : IDisposable
{
    private readonly DetectorModel model;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger<EdDetector> logger;
    private readonly UsageGate gate = new(nameof(EdDetector));

    internal EdDetector(DetectorModel model, ILoggerFactory? loggerFactory)
    {
        this.model = model;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        logger = this.loggerFactory.CreateLogger<EdDetector>();
        if (model.Options.Runtime.ComputePrecision != ComputePrecision.Float32)
        {
            Log.ReducedPrecision(logger, model.Options.Runtime.ComputePrecision, model.Options.Runtime.Device);
        }
    }

    /// <summary>The method this detector runs.</summary>
    public DetectorMethod Method => model.Options.Method;

    /// <summary>A copy of the options this detector was built (or loaded) with.</summary>
    public DetectorOptions Options => model.Options.Clone();

    /// <summary>Whether the detector has been fitted (or loaded from a fitted model) and can predict.</summary>
    public bool IsFitted => model.IsFitted;

    /// <summary>The decision rule (threshold and optional score normalisation), or null when none is calibrated.</summary>
    public Calibration? Calibration => model.Calibration;

    /// <summary>The device the detector runs on.</summary>
    public Device Device => model.Device;

    /// <summary>The backbone stages the levels read, with their channels and strides.</summary>
    public IReadOnlyList<FeatureStage> Stages => model.Extractor.Stages;

    /// <summary>What the detector learned from (sources of normal images, counts, sizes, when); null before fitting or for a model file written before the library recorded it.</summary>
    public TrainingDataSummary? TrainingData => model.TrainingData;

    /// <summary>The image transform of the model's input (resize, crop, normalisation), for masks and images in its geometry.</summary>
    internal ImageTransform Transform => model.Transform;

    internal DetectorModel Model => model;

    /// <summary>Learns the normal appearance from the normal images of <paramref name="trainingSet"/> (defective images are refused).</summary>
    /// <param name="trainingSet">Defect-free training images.</param>
    /// <param name="fitOptions">Validation, weight selection, checkpoints and calibration; null for none.</param>
    /// <param name="progress">Receives a report after every optimisation step.</param>
    /// <param name="cancellationToken">Cancels training; the detector then keeps the weights of its last complete epoch (or its state before the call when no epoch completed).</param>
    /// <returns>What the run did and which weights were kept.</returns>
    /// <exception cref="ArgumentException">The training set is empty or holds defective images, or the fit options are invalid.</exception>
    /// <exception cref="OperationCanceledException">Training was cancelled.</exception>
    public TrainingResult Fit(ImageDataset trainingSet, FitOptions? fitOptions = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainingSet);
        var fit = fitOptions ?? new FitOptions();
        fit.Validate();
        trainingSet.RequireNormalImagesOnly("Training set", nameof(trainingSet));
        using (gate.Write())
        {
            Log.FitStarted(logger, Method, trainingSet.Count);
            model.SourceModelSha256 = null;
            return model.Fit(trainingSet, fit, progress, logger, cancellationToken);
        }
    }

    /// <summary>Learns from the images in a folder of defect-free images.</summary>
    /// <param name="normalImagesFolder">A folder of normal images (.png, .bmp, .jpg).</param>
    /// <param name="fitOptions">Validation, weight selection, checkpoints and calibration; null for none.</param>
    /// <param name="progress">Receives a report after every optimisation step.</param>
    /// <param name="cancellationToken">Cancels training (see the other overload).</param>
    public TrainingResult Fit(string normalImagesFolder, FitOptions? fitOptions = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Fit(FolderDataset.Open(new FolderDatasetOptions { NormalDirectory = normalImagesFolder }, logger), fitOptions, progress, cancellationToken);

    /// <summary>
    /// Runs a model trained with the reference ED/FOD Python code: loads its trainer checkpoint (<c>.pth</c>) and its
    /// reference features (<c>.pkl</c> of <c>create_ref_features.py</c>) into this detector, which must be built with
    /// the training's configuration. Everything is validated before anything is copied; no Python code is run.
    /// </summary>
    /// <param name="checkpointPath">The reference trainer's <c>.pth</c> file.</param>
    /// <param name="referenceFeaturesPath">The reference features' <c>.pkl</c> file.</param>
    /// <exception cref="NotSupportedException">The detector runs another method than ED or FOD.</exception>
    /// <exception cref="StateDictMismatchException">A level's parameter names or shapes differ from this detector's.</exception>
    /// <exception cref="CheckpointFormatException">A file is damaged, refers to Python code, or holds something else.</exception>
    public void ImportReferenceCheckpoint(string checkpointPath, string referenceFeaturesPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        ArgumentException.ThrowIfNullOrEmpty(referenceFeaturesPath);
        var edModel = model as EdModel ?? throw new NotSupportedException($"Reference checkpoints are ED/FOD models; this detector runs {Method}.");
        using (gate.Write())
        {
            edModel.SourceModelSha256 = null;
            edModel.ImportReferenceCheckpoint(checkpointPath, referenceFeaturesPath);
        }
    }

    /// <summary>Adds normal images to the detector without refitting (HETMM: their features become templates; with a tiny
    /// template set, the sheets are selected again from the current ones and the new images). A detector that was not fitted becomes fitted.</summary>
    /// <param name="normalImages">Defect-free images.</param>
    /// <param name="progress">Receives a report after every batch of images.</param>
    /// <param name="cancellationToken">Cancels the call; the detector then keeps its templates as they were.</param>
    /// <exception cref="NotSupportedException">The method (ED, FOD) learns from its whole training set; call <see cref="Fit(ImageDataset, FitOptions?, IProgress{TrainingProgress}?, CancellationToken)"/> instead.</exception>
    /// <exception cref="ArgumentException">The set is empty or holds defective images.</exception>
    public void AddNormalImages(ImageDataset normalImages, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(normalImages);
        normalImages.RequireNormalImagesOnly("Added image set", nameof(normalImages));
        using (gate.Write())
        {
            model.SourceModelSha256 = null;
            model.AddNormalImages(normalImages, progress, logger, cancellationToken);
        }
    }

    /// <summary>Adds normal image files to the detector without refitting (see the other overload).</summary>
    /// <param name="imagePaths">PNG, BMP or JPEG files of defect-free images.</param>
    /// <param name="progress">Receives a report after every batch of images.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public void AddNormalImages(IReadOnlyList<string> imagePaths, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        AddNormalImages(new ImageDataset("added normal images", imagePaths.Select(p => new DatasetItem(p, AnomalyLabel.Normal, "good", null))), progress, cancellationToken);
    }

    /// <summary>Scores one image file.</summary>
    /// <param name="imagePath">A PNG, BMP or JPEG file.</param>
    /// <param name="predictOptions">Output options; null for the defaults.</param>
    /// <exception cref="ImageDecodeException">The file cannot be read or decoded; the message names it.</exception>
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

    /// <summary>Scores one encoded image read from a stream.</summary>
    /// <param name="encodedImage">A stream holding a PNG, BMP or JPEG file; read to its end.</param>
    /// <param name="predictOptions">Output options; null for the defaults.</param>
    public AnomalyPrediction Predict(Stream encodedImage, PredictOptions? predictOptions = null)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        using var buffer = new MemoryStream();
        encodedImage.CopyTo(buffer);
        return Predict(buffer.ToArray(), predictOptions);
    }

    /// <summary>Scores a batch of image files, decoding them in parallel and running the networks in batches.</summary>
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

    /// <summary>
    /// Scores a batch of decoded RGB images (as <see cref="ImageDecoder.DecodeRgb(ReadOnlySpan{byte}, string)"/> gives them), running
    /// the networks in batches of <see cref="PredictOptions.BatchSize"/>; a service that decodes its requests itself batches them here.
    /// </summary>
    /// <param name="images">Three-channel images of any size; each is resized and cropped as the model expects.</param>
    /// <param name="predictOptions">Output options; null for the defaults.</param>
    /// <returns>One prediction per image, in order (without a source path).</returns>
    /// <exception cref="ArgumentException">An image does not have 3 channels.</exception>
    public IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<ImageBuffer> images, PredictOptions? predictOptions = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        return PredictDecoded([.. images.Select(image => (image ?? throw new ArgumentException("The image list holds a null image.", nameof(images)), (string?)null))], predictOptions);
    }

    /// <summary>Scores already-normalised image tensors, (3, H, W) or (B, 3, H, W) at the model's input size.</summary>
    /// <param name="images">Images transformed as the model expects (resized to the input size, ImageNet-normalised).</param>
    /// <returns>One prediction per image.</returns>
    public IReadOnlyList<AnomalyPrediction> Predict(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        var batch = images.ndim == 3 ? images.unsqueeze(0) : images;
        if (batch.ndim != 4 || batch.shape[1] != 3 || batch.shape[2] != model.Height || batch.shape[3] != model.Width)
        {
            throw new ArgumentException(
                $"Image tensors must be (3, {model.Height}, {model.Width}) or (B, 3, {model.Height}, {model.Width}), got [{string.Join(", ", images.shape)}].",
                nameof(images));
        }

        using (EnterFitted())
        {
            using var maps = model.Score(batch);
            return model.Predictions(maps, new (string?, (int, int)?)[batch.shape[0]]);
        }
    }

    /// <summary>Scores every image of a labelled dataset and computes image and pixel metrics, overall and per defect type.</summary>
    /// <param name="testSet">Normal and defective images with masks.</param>
    /// <param name="progress">Receives the number of images scored so far.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    public EvaluationReport Evaluate(ImageDataset testSet, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(testSet);
        return Evaluate(testSet, progress, (Action<ScoredImage>?)null, cancellationToken);
    }

    /// <summary>Evaluates as the other overload and hands every image to <paramref name="onImage"/> as it is scored, with its
    /// prediction and its mask at the model's resolution, so that heatmaps, plots or pixel metrics of the test set need no second pass.</summary>
    /// <param name="testSet">Normal and defective images with masks.</param>
    /// <param name="progress">Receives the number of images scored so far.</param>
    /// <param name="onImage">Receives each image, in dataset order, on the calling thread, while the evaluation holds the detector's read lock.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    public EvaluationReport Evaluate(ImageDataset testSet, IProgress<int>? progress, Action<EvaluatedImage> onImage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(testSet);
        ArgumentNullException.ThrowIfNull(onImage);
        return Evaluate(testSet, progress, (ScoredImage scored) => onImage(new EvaluatedImage(scored.Item, model.Prediction(scored), scored.Mask!)), cancellationToken);
    }

    private EvaluationReport Evaluate(ImageDataset testSet, IProgress<int>? progress, Action<ScoredImage>? onImage, CancellationToken cancellationToken)
    {
        using (EnterFitted())
        {
            return model.Evaluate(testSet, progress, logger, cancellationToken, onImage);
        }
    }

    /// <summary>Sets the decision threshold so that the given fraction of normal validation images is flagged, with score normalisation.</summary>
    /// <param name="normalImages">Defect-free images not used for training.</param>
    /// <param name="falsePositiveRate">The fraction of normal images allowed above the threshold, in (0, 1).</param>
    /// <param name="cancellationToken">Cancels the scoring.</param>
    /// <returns>The new calibration, also stored in the detector and saved with it.</returns>
    public Calibration CalibrateFromNormals(ImageDataset normalImages, double falsePositiveRate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(normalImages);
        normalImages.RequireNormalImagesOnly("Calibration set", nameof(normalImages));
        float[] scores;
        using (EnterFitted())
        {
            scores = model.ScoreDataset(normalImages, withMasks: false, logger, cancellationToken).Select(r => r.Score).ToArray();
        }

        var calibration = ThresholdCalibration.FromNormalScores(scores, falsePositiveRate);
        SetCalibration(calibration);
        return calibration;
    }

    /// <summary>Sets the decision threshold at the best F1 score on a labelled validation set, with score normalisation.</summary>
    /// <param name="validationSet">Normal and defective images not used for training.</param>
    /// <param name="cancellationToken">Cancels the scoring.</param>
    /// <returns>The new calibration, also stored in the detector and saved with it.</returns>
    public Calibration CalibrateFromLabelled(ImageDataset validationSet, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(validationSet);
        ScoredImage[] results;
        using (EnterFitted())
        {
            results = model.ScoreDataset(validationSet, withMasks: false, logger, cancellationToken).ToArray();
        }

        var calibration = ThresholdCalibration.FromLabelledScores(results.Select(r => r.Score).ToArray(), results.Select(r => r.Item.IsDefective).ToArray());
        SetCalibration(calibration);
        return calibration;
    }

    /// <summary>Sets or clears the decision rule.</summary>
    /// <param name="value">The calibration, or null to report raw scores without decisions.</param>
    public void SetCalibration(Calibration? value)
    {
        using (gate.Write())
        {
            model.Calibration = value;
            model.SourceModelSha256 = null;
        }
    }

    /// <summary>Saves the detector to one model file, atomically (a temporary file, then a rename).</summary>
    /// <param name="path">The model file to write; an existing file is replaced only once the new one is complete.</param>
    /// <param name="includeBackboneWeights">Whether to embed the backbone weights so the file is self-contained; always done when the backbone is untrained.</param>
    /// <exception cref="InvalidOperationException">The detector has not been fitted.</exception>
    public void Save(string path, bool includeBackboneWeights = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using (EnterFitted())
        {
            using var content = model.ToContent(includeBackboneWeights || !model.Backbone.Pretrained, null);
            // The detector's state is now that file's, so an export records its hash.
            model.SourceModelSha256 = ModelFile.Save(path, content);
            Log.ModelSaved(logger, path, content.BackboneState is not null);
        }
    }

    /// <summary>
    /// Exports the fitted detector as one ONNX graph (opset 17) from the image resized to the model's input size, as uint8
    /// RGB (batch, height, width, 3), to <c>anomaly_map</c>, <c>score</c> and, when calibrated, <c>normalized_score</c> and
    /// <c>is_anomalous</c>; its metadata names the method, backbone, preprocessing, calibration and the model file it came from.
    /// </summary>
    /// <param name="path">The <c>.onnx</c> file to write, replaced atomically; its folder must exist.</param>
    /// <param name="externalDataThresholdBytes">The initializer bytes above which the weights go to an external data file
    /// beside the model; null for the largest a single ONNX file holds (2 GiB less 64 MiB).</param>
    /// <returns>The external data file written beside the model (<c>&lt;path&gt;.data</c>), or null when the model is one file.</returns>
    /// <exception cref="InvalidOperationException">The detector has not been fitted.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="externalDataThresholdBytes"/> is negative or past the single-file limit.</exception>
    /// <exception cref="NotSupportedException">The backbone has no ONNX export.</exception>
    public string? ExportOnnx(string path, long? externalDataThresholdBytes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Export(path, new OnnxExportOptions { ExternalDataThresholdBytes = externalDataThresholdBytes }, CancellationToken.None);
    }

    /// <summary>
    /// Exports the fitted HETMM detector as <see cref="ExportOnnx"/> does, with the backbone's convolutions and the template
    /// matching in int8 (ONNX Runtime's integer kernels: about half the float32 graph's time on a CPU with
    /// AVX512-VNNI). The activation ranges come from the calibration images; the accuracy cost is in docs/precision.md.
    /// </summary>
    /// <param name="path">The <c>.onnx</c> file to write, replaced atomically; its folder must exist.</param>
    /// <param name="calibrationImages">Normal image files whose activations set the int8 ranges: the training images suit, and a few dozen cover them.</param>
    /// <param name="externalDataThresholdBytes">As for <see cref="ExportOnnx"/>.</param>
    /// <param name="cancellationToken">Stops the calibration between batches; nothing is written then.</param>
    /// <returns>The external data file written beside the model (<c>&lt;path&gt;.data</c>), or null when the model is one file.</returns>
    /// <exception cref="InvalidOperationException">The detector has not been fitted.</exception>
    /// <exception cref="ArgumentException"><paramref name="calibrationImages"/> is empty or holds an empty path, or the threshold is out of range.</exception>
    /// <exception cref="NotSupportedException">The method is not HETMM, or the backbone has no ONNX export.</exception>
    /// <exception cref="ImageDecodeException">A calibration image cannot be read or decoded; the message names it.</exception>
    public string? ExportOnnxInt8(string path, IReadOnlyList<string> calibrationImages, long? externalDataThresholdBytes = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Export(path, new OnnxExportOptions { Precision = OnnxPrecision.Int8, CalibrationImages = calibrationImages, ExternalDataThresholdBytes = externalDataThresholdBytes }, cancellationToken);
    }

    private string? Export(string path, OnnxExportOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        using (EnterFitted())
        {
            var data = OnnxExporter.Export(model, path, options, model.SourceModelSha256, cancellationToken);
            Log.OnnxExported(logger, path, Method, options.Precision, data is not null);
            return data;
        }
    }

    /// <summary>Loads a detector from a model file written by <see cref="Save"/> (by this or an earlier version of the library).</summary>
    /// <param name="path">The model file.</param>
    /// <param name="loadOptions">Where the backbone weights come from when the file does not embed them, the device and logging; null for the defaults.</param>
    /// <exception cref="ModelFileException">The file is not a model, has a newer format version, is truncated or tampered with, or the backbone weights differ from those it was trained with.</exception>
    public static EdDetector Load(string path, LoadOptions? loadOptions = null) => LoadNamed(path, loadOptions ?? new LoadOptions(), "LoadOptions.");

    /// <summary>Loads a detector, naming the caller's settings in messages with <paramref name="optionPrefix"/>.</summary>
    internal static EdDetector LoadNamed(string path, LoadOptions load, string optionPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var content = ModelFile.Load(path);
        var detector = new EdDetector(ModelComposer.Load(content, path, load, optionPrefix), load.LoggerFactory);
        Log.ModelLoaded(detector.logger, path, detector.Method);
        if (load.WarmUp && detector.IsFitted)
        {
            detector.WarmUp();
        }

        return detector;
    }

    // One blank PNG through the whole path of a prediction (decode, transform, scoring at batch 1, map back to the image):
    // libtorch creates its kernels for these shapes, the allocator and SkiaSharp take their memory, and .NET compiles the
    // managed steps now, not during the first real prediction.
    private void WarmUp()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Predict(ImageEncoder.EncodePng(new ImageBuffer(model.Width, model.Height, 3)));
        Log.WarmedUp(logger, watch.Elapsed.TotalSeconds);
    }

    /// <summary>Releases the backbone and the method's state; waits for running predictions.</summary>
    public void Dispose() => gate.Close(model.Dispose);

    private AnomalyPrediction[] PredictDecoded(IReadOnlyList<(ImageBuffer Image, string? Path)> images, PredictOptions? predictOptions)
    {
        var predict = predictOptions ?? new PredictOptions();
        predict.Validate();
        using (EnterFitted())
        {
            return images.Chunk(predict.BatchSize).SelectMany(chunk =>
            {
                using var scope = NewDisposeScope();
                using var maps = model.Score(stack(chunk.Select(c => model.Transform.TransformImage(c.Image)).ToArray()));
                return model.Predictions(maps, chunk.Select(c => (c.Path, predict.MapAtOriginalResolution ? (c.Image.Height, c.Image.Width) : ((int, int)?)null)).ToArray(), predict.IncludeUnsmoothedMap);
            }).ToArray();
        }
    }

    // A read lock on a fitted model.
    private UsageGate.Hold EnterFitted()
    {
        var hold = gate.Read();
        if (!model.IsFitted)
        {
            hold.Dispose();
            throw new InvalidOperationException("The detector has not been fitted: call Fit with normal images, or Load a saved model.");
        }

        return hold;
    }
}

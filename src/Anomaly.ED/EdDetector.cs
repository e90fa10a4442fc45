using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Methods;
using Anomaly.ED.Scoring;
using Anomaly.ED.Training;
using Anomaly.ED.Weights;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED;

/// <summary>
/// An anomaly detector running one method (ED, FOD, HETMM): learns from defect-free images (<see cref="Fit(ImageDataset, EdFitOptions?, IProgress{TrainingProgress}?, CancellationToken)"/>),
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
    private readonly ReaderWriterLockSlim gate = new();
    private bool disposed;

    internal EdDetector(DetectorModel model, ILoggerFactory? loggerFactory)
    {
        this.model = model;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        logger = this.loggerFactory.CreateLogger<EdDetector>();
    }

    /// <summary>The method this detector runs.</summary>
    public DetectorMethod Method => model.Options.Method;

    /// <summary>A copy of the options this detector was built (or loaded) with.</summary>
    public EdOptions Options => model.Options.Clone();

    /// <summary>Whether the detector has been fitted (or loaded from a fitted model) and can predict.</summary>
    public bool IsFitted => model.IsFitted;

    /// <summary>The decision rule (threshold and optional score normalisation), or null when none is calibrated.</summary>
    public Calibration? Calibration => model.Calibration;

    /// <summary>The device the detector runs on.</summary>
    public Device Device => model.Device;

    /// <summary>The backbone stages the levels read, with their channels and strides.</summary>
    public IReadOnlyList<FeatureStage> Stages => model.Extractor.Stages;

    /// <summary>The image transform of the model's input (resize, crop, normalisation), for masks and images in its geometry.</summary>
    public ImageTransform Transform => model.Transform;

    internal DetectorModel Model => model;

    /// <summary>Learns the normal appearance from the normal images of <paramref name="trainingSet"/> (defective images are refused).</summary>
    /// <param name="trainingSet">Defect-free training images.</param>
    /// <param name="fitOptions">Validation, weight selection, checkpoints and calibration; null for none.</param>
    /// <param name="progress">Receives a report after every optimisation step.</param>
    /// <param name="cancellationToken">Cancels training; the detector then keeps the weights of its last complete epoch (or its state before the call when no epoch completed).</param>
    /// <returns>What the run did and which weights were kept.</returns>
    /// <exception cref="ArgumentException">The training set is empty or holds defective images, or the fit options are invalid.</exception>
    /// <exception cref="OperationCanceledException">Training was cancelled.</exception>
    public TrainingResult Fit(ImageDataset trainingSet, EdFitOptions? fitOptions = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainingSet);
        var fit = fitOptions ?? new EdFitOptions();
        fit.Validate();
        if (trainingSet.Count == 0)
        {
            throw new ArgumentException($"Training set '{trainingSet.Name}' is empty.", nameof(trainingSet));
        }

        if (trainingSet.DefectiveCount > 0)
        {
            throw new ArgumentException(
                $"Training set '{trainingSet.Name}' holds {trainingSet.DefectiveCount} defective images (first: '{trainingSet.Items.First(i => i.IsDefective).ImagePath}'); {Method} learns from normal images only.",
                nameof(trainingSet));
        }

        Enter(write: true);
        try
        {
            Log.FitStarted(logger, Method, trainingSet.Count);
            return model.Fit(trainingSet, fit, progress, logger, cancellationToken);
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    /// <summary>Learns from the images in a folder of defect-free images.</summary>
    /// <param name="normalImagesFolder">A folder of normal images (.png, .bmp, .jpg).</param>
    /// <param name="fitOptions">Validation, weight selection, checkpoints and calibration; null for none.</param>
    /// <param name="progress">Receives a report after every optimisation step.</param>
    /// <param name="cancellationToken">Cancels training (see the other overload).</param>
    public TrainingResult Fit(string normalImagesFolder, EdFitOptions? fitOptions = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
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
        Enter(write: true);
        try
        {
            edModel.ImportReferenceCheckpoint(checkpointPath, referenceFeaturesPath);
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    /// <summary>Adds normal images to the detector without refitting (HETMM: their features become templates; with a tiny
    /// template set, the sheets are selected again from the current ones and the new images). A detector that was not fitted becomes fitted.</summary>
    /// <param name="normalImages">Defect-free images.</param>
    /// <param name="progress">Receives a report after every batch of images.</param>
    /// <param name="cancellationToken">Cancels the call; the detector then keeps its templates as they were.</param>
    /// <exception cref="NotSupportedException">The method (ED, FOD) learns from its whole training set; call <see cref="Fit(ImageDataset, EdFitOptions?, IProgress{TrainingProgress}?, CancellationToken)"/> instead.</exception>
    /// <exception cref="ArgumentException">The set is empty or holds defective images.</exception>
    public void AddNormalImages(ImageDataset normalImages, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(normalImages);
        if (normalImages.Count == 0 || normalImages.DefectiveCount > 0)
        {
            throw new ArgumentException($"'{normalImages.Name}' must hold at least one image and normal images only; it has {normalImages.Count} images, {normalImages.DefectiveCount} defective.", nameof(normalImages));
        }

        Enter(write: true);
        try
        {
            model.AddNormalImages(normalImages, progress, logger, cancellationToken);
        }
        finally
        {
            gate.ExitWriteLock();
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

        return WithReadLock(() =>
        {
            using var maps = model.Score(batch);
            return Predictions(maps, new (string?, (int, int)?)[batch.shape[0]]);
        });
    }

    /// <summary>Scores every image of a labelled dataset and computes image and pixel metrics, overall and per defect type.</summary>
    /// <param name="testSet">Normal and defective images with masks.</param>
    /// <param name="progress">Receives the number of images scored so far.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    public EvaluationReport Evaluate(ImageDataset testSet, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(testSet);
        return WithReadLock(() =>
        {
            var builder = new EvaluationReportBuilder(model.Height, model.Width);
            var done = 0;
            foreach (var scored in model.ScoreDataset(testSet, withMasks: true, logger, cancellationToken))
            {
                builder.Add(new EvaluationSample(scored.Item.ImagePath, scored.Item.DefectType, scored.Item.IsDefective, scored.Score, scored.Combined, scored.Smoothed, scored.Mask));
                progress?.Report(++done);
            }

            return builder.Build(cancellationToken);
        });
    }

    /// <summary>Sets the decision threshold so that the given fraction of normal validation images is flagged, with score normalisation.</summary>
    /// <param name="normalImages">Defect-free images not used for training.</param>
    /// <param name="falsePositiveRate">The fraction of normal images allowed above the threshold, in (0, 1).</param>
    /// <param name="cancellationToken">Cancels the scoring.</param>
    /// <returns>The new calibration, also stored in the detector and saved with it.</returns>
    public Calibration CalibrateFromNormals(ImageDataset normalImages, double falsePositiveRate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(normalImages);
        if (normalImages.DefectiveCount > 0)
        {
            throw new ArgumentException($"Calibration set '{normalImages.Name}' must hold normal images only; it has {normalImages.DefectiveCount} defective images.", nameof(normalImages));
        }

        var scores = WithReadLock(() => model.ScoreDataset(normalImages, withMasks: false, logger, cancellationToken).Select(r => r.Score).ToArray());
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
        var results = WithReadLock(() => model.ScoreDataset(validationSet, withMasks: false, logger, cancellationToken).ToArray());
        var calibration = ThresholdCalibration.FromLabelledScores(results.Select(r => r.Score).ToArray(), results.Select(r => r.Item.IsDefective).ToArray());
        SetCalibration(calibration);
        return calibration;
    }

    /// <summary>Sets or clears the decision rule.</summary>
    /// <param name="value">The calibration, or null to report raw scores without decisions.</param>
    public void SetCalibration(Calibration? value)
    {
        Enter(write: true);
        try
        {
            model.Calibration = value;
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    /// <summary>Saves the detector to one model file, atomically (a temporary file, then a rename).</summary>
    /// <param name="path">The model file to write; an existing file is replaced only once the new one is complete.</param>
    /// <param name="includeBackboneWeights">Whether to embed the backbone weights so the file is self-contained; always done when the backbone is untrained.</param>
    /// <exception cref="InvalidOperationException">The detector has not been fitted.</exception>
    public void Save(string path, bool includeBackboneWeights = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        WithReadLock(() =>
        {
            using var content = model.ToContent(includeBackboneWeights || !model.Backbone.Pretrained, null);
            EdModelFile.Save(path, content);
            Log.ModelSaved(logger, path, content.BackboneState is not null);
            return true;
        });
    }

    /// <summary>Loads a detector from a model file written by <see cref="Save"/> (by this or an earlier version of the library).</summary>
    /// <param name="path">The model file.</param>
    /// <param name="loadOptions">Where the backbone weights come from when the file does not embed them, the device and logging; null for the defaults.</param>
    /// <exception cref="ModelFileException">The file is not a model, has a newer format version, is truncated or tampered with, or the backbone weights differ from those it was trained with.</exception>
    public static EdDetector Load(string path, EdLoadOptions? loadOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var load = loadOptions ?? new EdLoadOptions();
        using var content = EdModelFile.Load(path);
        var options = content.Options.Clone();
        options.Runtime = new RuntimeOptions { Device = load.Device, AllowDownload = load.AllowDownload, WeightsCacheDirectory = load.WeightsCacheDirectory };
        if (load.BackboneWeightsPath is not null)
        {
            options.Backbone.WeightsPath = load.BackboneWeightsPath;
            options.Backbone.PretrainedCheckpoint = null;
        }

        var detector = new EdDetector(ModelComposer.Load(options, content, path), load.LoggerFactory);
        Log.ModelLoaded(detector.logger, path, detector.Method);
        return detector;
    }

    /// <summary>Releases the backbone and the method's state; waits for running predictions.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        gate.EnterWriteLock();
        try
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            model.Dispose();
        }
        finally
        {
            gate.ExitWriteLock();
        }

        // The lock itself is not disposed: a call that passed the disposed check may still be waiting on it, and it
        // must wake to an ObjectDisposedException, not to a disposed lock.
    }

    private IReadOnlyList<AnomalyPrediction> PredictDecoded(IReadOnlyList<(ImageBuffer Image, string? Path)> images, PredictOptions? predictOptions)
    {
        var predict = predictOptions ?? new PredictOptions();
        predict.Validate();
        return WithReadLock(() =>
        {
            var results = new List<AnomalyPrediction>(images.Count);
            foreach (var chunk in images.Chunk(predict.BatchSize))
            {
                using var scope = NewDisposeScope();
                using var maps = model.Score(stack(chunk.Select(c => model.Transform.TransformImage(c.Image)).ToArray()));
                results.AddRange(Predictions(maps, chunk.Select(c => (c.Path, predict.MapAtOriginalResolution ? (c.Image.Height, c.Image.Width) : ((int, int)?)null)).ToArray()));
            }

            return results;
        });
    }

    // One prediction per image of the batch, each with its source path and, when given, the original size its map is carried back to.
    private AnomalyPrediction[] Predictions(AnomalyMaps maps, (string? Path, (int Height, int Width)? Original)[] images)
    {
        var smoothed = maps.Smoothed.cpu().data<float>().ToArray();
        var scores = maps.ImageScores.cpu().data<float>().ToArray();
        var pixels = model.Height * model.Width;
        var calibration = model.Calibration;
        return scores.Select((score, i) =>
        {
            var map = smoothed.AsSpan(i * pixels, pixels).ToArray();
            var anomalyMap = images[i].Original is { } size ? model.MapAtOriginalResolution(map, size.Height, size.Width) : new AnomalyMap(model.Height, model.Width, map);
            return new AnomalyPrediction(
                score,
                calibration?.Normalization is null ? null : calibration.Normalize(score),
                calibration?.IsAnomalous(score),
                anomalyMap,
                images[i].Path);
        }).ToArray();
    }

    private T WithReadLock<T>(Func<T> action)
    {
        Enter(write: false);
        try
        {
            if (!model.IsFitted)
            {
                throw new InvalidOperationException("The detector has not been fitted: call Fit with normal images, or Load a saved model.");
            }

            return action();
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    private void Enter(bool write)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (write)
        {
            gate.EnterWriteLock();
        }
        else
        {
            gate.EnterReadLock();
        }

        // Dispose may have run while this call waited for the lock.
        if (disposed)
        {
            if (write)
            {
                gate.ExitWriteLock();
            }
            else
            {
                gate.ExitReadLock();
            }

            throw new ObjectDisposedException(nameof(EdDetector));
        }
    }
}

using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Network;
using Anomaly.ED.Runtime;
using Anomaly.ED.Scoring;
using Anomaly.ED.Training;
using Anomaly.ED.Weights;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED;

/// <summary>
/// An ED (or FOD) anomaly detector: learns from defect-free images (<see cref="Fit(ImageDataset, EdFitOptions?, IProgress{TrainingProgress}?, CancellationToken)"/>),
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
    private readonly EdOptions options;
    private readonly ResNetFeatureExtractor extractor;
    private readonly EdLevelNetwork[] networks;
    private readonly EdAnomalyScorer scorer;
    private readonly AnomalyMapGenerator mapGenerator;
    private readonly ImageTransform transform;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger<EdDetector> logger;
    private readonly ReaderWriterLockSlim gate = new();
    private BackboneRecord backbone;
    private Calibration? calibration;
    private bool fitted;
    private bool disposed;

    internal EdDetector(EdOptions options, ResNetFeatureExtractor extractor, BackboneRecord backbone, ILoggerFactory? loggerFactory)
    {
        this.options = options;
        this.extractor = extractor;
        this.backbone = backbone;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        logger = this.loggerFactory.CreateLogger<EdDetector>();
        Device = extractor.Device;

        networks = NewNetworks();
        try
        {
            foreach (var network in networks)
            {
                network.to(Device);
                network.eval();
            }

            scorer = new EdAnomalyScorer(networks, options.Score);
            mapGenerator = new AnomalyMapGenerator(
                options.ImageHeight,
                options.ImageWidth,
                options.SmoothingSigma > 0 ? new GaussianMapSmoother(options.SmoothingSigma) : null);
            transform = new ImageTransform(TransformOptions(options));
        }
        catch
        {
            foreach (var network in networks)
            {
                network.Dispose();
            }

            throw;
        }
    }

    /// <summary>A copy of the options this detector was built with.</summary>
    public EdOptions Options => options.Clone();

    /// <summary>Whether the detector has been fitted (or loaded from a fitted model) and can predict.</summary>
    public bool IsFitted => fitted;

    /// <summary>The decision rule (threshold and optional score normalisation), or null when none is calibrated.</summary>
    public Calibration? Calibration => calibration;

    /// <summary>The device the networks run on.</summary>
    public Device Device { get; }

    /// <summary>The backbone stages the levels read, with their channels and strides.</summary>
    public IReadOnlyList<FeatureStage> Stages => extractor.Stages;

    internal EdOptions OptionsSnapshot => options;

    internal IReadOnlyList<EdLevelNetwork> Networks => networks;

    internal ImageTransform Transform => transform;

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
                $"Training set '{trainingSet.Name}' holds {trainingSet.DefectiveCount} defective images (first: '{trainingSet.Items.First(i => i.IsDefective).ImagePath}'); ED learns from normal images only.",
                nameof(trainingSet));
        }

        Enter(write: true);
        try
        {
            Log.TrainingStarted(logger, trainingSet.Count, options.Epochs, options.BatchSize);
            var result = new EdTrainer(this, logger).Run(trainingSet, fit, progress, cancellationToken);
            fitted = true;
            return result;
        }
        finally
        {
            foreach (var network in networks)
            {
                network.eval();
            }

            gate.ExitWriteLock();
        }
    }

    /// <summary>Learns from the images in a folder of defect-free images.</summary>
    /// <param name="normalImagesFolder">A folder of normal images (.png, .bmp, .jpg).</param>
    /// <param name="fitOptions">Validation, weight selection, checkpoints and calibration; null for none.</param>
    /// <param name="progress">Receives a report after every optimisation step.</param>
    /// <param name="cancellationToken">Cancels training (see the other overload).</param>
    public TrainingResult Fit(string normalImagesFolder, EdFitOptions? fitOptions = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Fit(FolderDataset.Open(new FolderDatasetOptions { NormalDirectory = normalImagesFolder }, loggerFactory.CreateLogger<EdDetector>()), fitOptions, progress, cancellationToken);

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
    /// <param name="images">Images transformed as the model expects (see <see cref="ImageTransform"/>).</param>
    /// <returns>One prediction per image.</returns>
    public IReadOnlyList<AnomalyPrediction> Predict(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        var batch = images.ndim == 3 ? images.unsqueeze(0) : images;
        if (batch.ndim != 4 || batch.shape[1] != 3 || batch.shape[2] != options.ImageHeight || batch.shape[3] != options.ImageWidth)
        {
            throw new ArgumentException(
                $"Image tensors must be (3, {options.ImageHeight}, {options.ImageWidth}) or (B, 3, {options.ImageHeight}, {options.ImageWidth}), got [{string.Join(", ", images.shape)}].",
                nameof(images));
        }

        Enter(write: false);
        try
        {
            RequireFitted();
            using var maps = ScoreBatch(batch);
            var smoothed = maps.Smoothed.cpu().data<float>().ToArray();
            var scores = maps.ImageScores.cpu().data<float>().ToArray();
            var pixels = options.ImageHeight * options.ImageWidth;
            return scores.Select((score, i) => MakePrediction(score, smoothed.AsSpan(i * pixels, pixels).ToArray(), null)).ToArray();
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>Scores every image of a labelled dataset and computes image and pixel metrics, overall and per defect type.</summary>
    /// <param name="testSet">Normal and defective images with masks.</param>
    /// <param name="progress">Receives the number of images scored so far.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    public EvaluationReport Evaluate(ImageDataset testSet, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(testSet);
        Enter(write: false);
        try
        {
            RequireFitted();
            var builder = new EvaluationReportBuilder(options.ImageHeight, options.ImageWidth);
            var done = 0;
            foreach (var (item, score, combined, smoothed, mask) in ScoreDataset(testSet, withMasks: true, cancellationToken))
            {
                builder.Add(new EvaluationSample(item.ImagePath, item.DefectType, item.IsDefective, score, combined, smoothed, mask));
                progress?.Report(++done);
            }

            return builder.Build(cancellationToken);
        }
        finally
        {
            gate.ExitReadLock();
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
        if (normalImages.DefectiveCount > 0)
        {
            throw new ArgumentException($"Calibration set '{normalImages.Name}' must hold normal images only; it has {normalImages.DefectiveCount} defective images.", nameof(normalImages));
        }

        var scores = WithReadLock(() => ImageScores(normalImages, cancellationToken));
        return SetCalibrationLocked(ThresholdCalibration.FromNormalScores(scores, falsePositiveRate));
    }

    /// <summary>Sets the decision threshold at the best F1 score on a labelled validation set, with score normalisation.</summary>
    /// <param name="validationSet">Normal and defective images not used for training.</param>
    /// <param name="cancellationToken">Cancels the scoring.</param>
    /// <returns>The new calibration, also stored in the detector and saved with it.</returns>
    public Calibration CalibrateFromLabelled(ImageDataset validationSet, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(validationSet);
        var (scores, labels) = WithReadLock(() =>
        {
            var results = ScoreDataset(validationSet, withMasks: false, cancellationToken).ToArray();
            return (results.Select(r => r.Score).ToArray(), results.Select(r => r.Item.IsDefective).ToArray());
        });
        return SetCalibrationLocked(ThresholdCalibration.FromLabelledScores(scores, labels));
    }

    /// <summary>Sets or clears the decision rule.</summary>
    /// <param name="value">The calibration, or null to report raw scores without decisions.</param>
    public void SetCalibration(Calibration? value)
    {
        if (gate.IsWriteLockHeld)
        {
            calibration = value;
            return;
        }

        SetCalibrationLocked(value);
    }

    /// <summary>Saves the detector to one model file, atomically (a temporary file, then a rename).</summary>
    /// <param name="path">The model file to write; an existing file is replaced only once the new one is complete.</param>
    /// <param name="includeBackboneWeights">Whether to embed the backbone weights so the file is self-contained; always done when the backbone is untrained.</param>
    /// <exception cref="InvalidOperationException">The detector has not been fitted.</exception>
    public void Save(string path, bool includeBackboneWeights = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Enter(write: false);
        try
        {
            RequireFitted();
            using var content = Content(includeBackboneWeights || !backbone.Pretrained, null);
            EdModelFile.Save(path, content);
            Log.ModelSaved(logger, path, content.BackboneState is not null);
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>Loads a detector from a model file written by <see cref="Save"/>.</summary>
    /// <param name="path">The model file.</param>
    /// <param name="loadOptions">Where the backbone weights come from when the file does not embed them, the device and logging; null for the defaults.</param>
    /// <exception cref="ModelFileException">The file is not a model, has a newer format version, is truncated or tampered with, or the backbone weights differ from those it was trained with.</exception>
    public static EdDetector Load(string path, EdLoadOptions? loadOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var load = loadOptions ?? new EdLoadOptions();
        using var content = EdModelFile.Load(path);
        var options = content.Options.Clone();
        if (load.Device is not null)
        {
            options.Device = load.Device;
        }

        if (load.BackboneWeightsPath is not null)
        {
            options.BackboneWeightsPath = load.BackboneWeightsPath;
            options.PretrainedCheckpoint = null;
        }

        ResNetFeatureExtractor extractor;
        if (content.BackboneState is not null)
        {
            extractor = ResNetFeatureExtractor.Create(options.Backbone, options.Levels);
            extractor.Network.LoadStateDict(content.BackboneState);
        }
        else
        {
            if (options.BackboneWeightsPath is not null && !File.Exists(options.BackboneWeightsPath))
            {
                throw new ModelFileException(path, $"the backbone weights are not embedded and '{options.BackboneWeightsPath}' (recorded at training) does not exist; pass EdLoadOptions.BackboneWeightsPath.");
            }

            extractor = EdDetectorBuilder.CreateExtractor(options, load.AllowDownload, load.WeightsCacheDirectory, CancellationToken.None).GetAwaiter().GetResult().Extractor;
        }

        EdDetector? detector = null;
        try
        {
            var fingerprint = BackboneFingerprint.Compute(extractor.Network);
            if (fingerprint != content.Backbone.Fingerprint)
            {
                throw new ModelFileException(path, $"the backbone weights given ({content.Backbone.Architecture}, fingerprint {fingerprint[..12]}…) differ from those the model was trained with (fingerprint {content.Backbone.Fingerprint[..12]}…).");
            }

            extractor.to(DeviceName.ToDevice(options.Device));
            detector = new EdDetector(options, extractor, content.Backbone, load.LoggerFactory);
            detector.LoadLevels(content, path);
            detector.calibration = content.Calibration;
            detector.fitted = true;
            Log.ModelLoaded(detector.logger, path);
            return detector;
        }
        catch
        {
            if (detector is not null)
            {
                detector.Dispose();
            }
            else
            {
                extractor.Dispose();
            }

            throw;
        }
    }

    /// <summary>Releases the backbone and the networks; waits for running predictions.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        gate.EnterWriteLock();
        try
        {
            disposed = true;
            foreach (var network in networks)
            {
                network.Dispose();
            }

            extractor.Dispose();
        }
        finally
        {
            gate.ExitWriteLock();
        }

        gate.Dispose();
    }

    internal FeatureMaps Extract(Tensor images) => extractor.Extract(images.to(Device));

    internal void MarkFitted() => fitted = true;

    /// <summary>Resets every level network to its seeded initial parameters, so that each fit starts from the same point.</summary>
    internal void ResetNetworks()
    {
        var fresh = NewNetworks();
        try
        {
            for (var i = 0; i < networks.Length; i++)
            {
                networks[i].LoadStateDict(fresh[i].state_dict());

                // Gradients left by an earlier fit would make a fresh Adam update parameters that a first run skips.
                networks[i].zero_grad(set_to_none: true);
            }
        }
        finally
        {
            foreach (var network in fresh)
            {
                network.Dispose();
            }
        }
    }

    internal double ValidationAuroc(ImageDataset validationSet, CancellationToken cancellationToken)
    {
        var results = ScoreDataset(validationSet, withMasks: false, cancellationToken).ToArray();
        return BinaryMetrics.Auroc(results.Select(r => r.Score).ToArray(), results.Select(r => r.Item.IsDefective).ToArray());
    }

    internal float[] ImageScores(ImageDataset dataset, CancellationToken cancellationToken) =>
        ScoreDataset(dataset, withMasks: false, cancellationToken).Select(r => r.Score).ToArray();

    internal TrainingState RestoreCheckpoint(string checkpointPath, EdOptimizationStep step)
    {
        using var content = EdModelFile.Load(checkpointPath);
        if (content.Training is null)
        {
            throw new ModelFileException(checkpointPath, "it is a model file, not a training checkpoint.");
        }

        if (content.Backbone.Fingerprint != backbone.Fingerprint || content.LevelStates.Count != networks.Length)
        {
            throw new ModelFileException(checkpointPath, "it was written for another backbone or level configuration than this detector's.");
        }

        LoadLevels(content, checkpointPath);
        if (content.Training.OptimizerState is { } state)
        {
            step.LoadOptimizerState(state);
        }

        return content.Training;
    }

    internal void WriteCheckpoint(string checkpointPath, EdOptimizationStep step, TrainingState state)
    {
        using var content = Content(!backbone.Pretrained, state with { OptimizerState = step.SaveOptimizerState() });
        EdModelFile.Save(checkpointPath, content);
    }

    // Seeded, so that a detector built or reset with the same options starts from the same parameters.
    private EdLevelNetwork[] NewNetworks()
    {
        lock (TorchRandom.Gate)
        {
            random.manual_seed(options.Seed);
            return extractor.Stages.Select(stage => new EdLevelNetwork(LevelOptions(options, stage))).ToArray();
        }
    }

    private static EdLevelOptions LevelOptions(EdOptions options, FeatureStage stage)
    {
        var level = options.Variant == EdVariant.Fod ? new EdLevelOptions { Fusion = FusionKind.Difference, FeedForward = FeedForwardKind.Plain, Scale = AttentionScaleKind.Fixed } : new EdLevelOptions();
        level.GridHeight = stage.OutputSize(options.ImageHeight);
        level.GridWidth = stage.OutputSize(options.ImageWidth);
        level.InputChannels = stage.Channels;
        level.ModelDimension = options.ModelDimensions[options.Levels.IndexOf(stage.Name)];
        level.Heads = options.Heads;
        level.Layers = options.Layers;
        level.FeedForwardScale = options.FeedForwardScale;
        level.Dropout = options.Dropout;
        level.WithIntra = options.WithIntra;
        level.WithInter = options.WithInter;
        level.RelativePositionBias = options.RelativePositionBias;
        level.UseOutProjection = options.UseOutProjection;
        return level;
    }

    private static ImageTransformOptions TransformOptions(EdOptions options) => options.KeepAspectRatio
        ? new ImageTransformOptions
        {
            ResizeShortSide = Math.Min(options.ImageHeight, options.ImageWidth),
            ResizeHeight = null,
            ResizeWidth = null,
            CropHeight = options.ImageHeight,
            CropWidth = options.ImageWidth,
        }
        : new ImageTransformOptions { ResizeHeight = options.ImageHeight, ResizeWidth = options.ImageWidth };

    private IReadOnlyList<AnomalyPrediction> PredictDecoded(IReadOnlyList<(ImageBuffer Image, string? Path)> images, PredictOptions? predictOptions)
    {
        var predict = predictOptions ?? new PredictOptions();
        predict.Validate();
        Enter(write: false);
        try
        {
            RequireFitted();
            var results = new List<AnomalyPrediction>(images.Count);
            var pixels = options.ImageHeight * options.ImageWidth;
            foreach (var chunk in images.Chunk(predict.BatchSize))
            {
                using var scope = NewDisposeScope();
                var batch = stack(chunk.Select(c => transform.TransformImage(c.Image)).ToArray());
                using var maps = ScoreBatch(batch);
                var smoothed = maps.Smoothed.cpu().data<float>().ToArray();
                var scores = maps.ImageScores.cpu().data<float>().ToArray();
                for (var i = 0; i < chunk.Length; i++)
                {
                    var map = smoothed.AsSpan(i * pixels, pixels).ToArray();
                    var original = predict.MapAtOriginalResolution ? (chunk[i].Image.Height, chunk[i].Image.Width) : ((int, int)?)null;
                    results.Add(MakePrediction(scores[i], map, chunk[i].Path, original));
                }
            }

            return results;
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    private AnomalyMaps ScoreBatch(Tensor images)
    {
        using var scope = NewDisposeScope();
        var features = Extract(images);
        var grids = scorer.ScoreLevels(features);
        var maps = mapGenerator.Generate(grids);
        maps.Combined.MoveToOuterDisposeScope();
        maps.Smoothed.MoveToOuterDisposeScope();
        maps.ImageScores.MoveToOuterDisposeScope();
        return maps;
    }

    private IEnumerable<(DatasetItem Item, float Score, float[] Combined, float[] Smoothed, bool[]? Mask)> ScoreDataset(ImageDataset dataset, bool withMasks, CancellationToken cancellationToken)
    {
        // One image per forward pass: the (B, H, L, L) attention maps make larger batches slower per image on CPU.
        var loader = new DatasetLoader(transform, new DatasetLoaderOptions { BatchSize = 1 }, logger);
        var pixels = options.ImageHeight * options.ImageWidth;
        foreach (var batch in loader.ReadBatches(dataset.Items, cancellationToken))
        {
            float[] combined, smoothed, scores, masks;
            using (batch)
            using (var scope = NewDisposeScope())
            using (var maps = ScoreBatch(batch.Images))
            {
                combined = maps.Combined.cpu().data<float>().ToArray();
                smoothed = maps.Smoothed.cpu().data<float>().ToArray();
                scores = maps.ImageScores.cpu().data<float>().ToArray();
                masks = withMasks ? batch.Masks.cpu().data<float>().ToArray() : [];
            }

            for (var i = 0; i < batch.Count; i++)
            {
                var mask = withMasks ? masks.AsSpan(i * pixels, pixels).ToArray().Select(v => v > 0.5f).ToArray() : null;
                yield return (batch.Items[i], scores[i], combined.AsSpan(i * pixels, pixels).ToArray(), smoothed.AsSpan(i * pixels, pixels).ToArray(), mask);
            }
        }
    }

    private AnomalyPrediction MakePrediction(float score, float[] map, string? path, (int Height, int Width)? original = null)
    {
        var anomalyMap = original is { } size ? ToOriginalResolution(map, size.Height, size.Width) : new AnomalyMap(options.ImageHeight, options.ImageWidth, map);
        return new AnomalyPrediction(
            score,
            calibration?.Normalization is null ? null : calibration.Normalize(score),
            calibration?.IsAnomalous(score),
            anomalyMap,
            path);
    }

    // Undo the resize (and crop): the map is placed over the crop region of the resized image, the rest takes the
    // map's minimum, and the canvas is resized bilinearly to the original size.
    private AnomalyMap ToOriginalResolution(float[] map, int height, int width)
    {
        using var scope = NewDisposeScope();
        var (resizedHeight, resizedWidth) = transform.GetResizedSize(height, width);
        var crop = transform.GetCropBox(resizedHeight, resizedWidth);
        var source = tensor(map, [options.ImageHeight, options.ImageWidth]);
        var canvas = full([resizedHeight, resizedWidth], source.min().item<float>());
        canvas[TensorIndex.Slice(crop.Top, crop.Top + crop.Height), TensorIndex.Slice(crop.Left, crop.Left + crop.Width)] = source;
        var resized = nn.functional.interpolate(canvas.unsqueeze(0).unsqueeze(0), size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        return new AnomalyMap(height, width, resized.flatten().data<float>().ToArray());
    }

    private void LoadLevels(ModelFileContent content, string path)
    {
        if (content.LevelStates.Count != networks.Length)
        {
            throw new ModelFileException(path, $"it holds {content.LevelStates.Count} levels but the options describe {networks.Length}.");
        }

        for (var i = 0; i < networks.Length; i++)
        {
            try
            {
                networks[i].LoadStateDict(content.LevelStates[i]);
                networks[i].SetReferenceFeatures(content.References[i]);
            }
            catch (Exception e) when (e is StateDictMismatchException or ArgumentException)
            {
                throw new ModelFileException(path, $"level {i} does not fit its configuration: {e.Message}", e);
            }

            networks[i].eval();
        }
    }

    private ModelFileContent Content(bool embedBackbone, TrainingState? training)
    {
        var states = networks.Select(n => n.state_dict().ToDictionary(kv => kv.Key, kv => TensorCopies.DetachedCpuCopy(kv.Value))).ToList();
        var references = networks.Select(n => n.GetReferenceFeatures()).ToList();
        var backboneState = embedBackbone
            ? extractor.Network.OrderedStateDict().ToDictionary(kv => kv.Key, kv => TensorCopies.DetachedCpuCopy(kv.Value))
            : null;
        return new ModelFileContent(options, calibration, backbone with { Embedded = embedBackbone }, states, references, backboneState, training);
    }

    private Calibration SetCalibrationLocked(Calibration? value)
    {
        Enter(write: true);
        try
        {
            calibration = value;
            return value!;
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    private T WithReadLock<T>(Func<T> action)
    {
        Enter(write: false);
        try
        {
            RequireFitted();
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
    }

    private void RequireFitted()
    {
        if (!fitted)
        {
            throw new InvalidOperationException("The detector has not been fitted: call Fit with normal images, or Load a saved model.");
        }
    }
}

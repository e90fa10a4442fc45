using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Export;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Scoring;
using Anomaly.ED.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods;

/// <summary>
/// One method's fitted state behind the <see cref="EdDetector"/> facade: the frozen backbone, the image transform, the
/// method's own state and the calibration, with the one scoring call every method shares
/// (images -> backbone features -> per-level score grids -> combined, smoothed map and image score).
/// </summary>
/// <remarks>Not thread-safe for writes: the facade serialises fitting and loading against scoring.</remarks>
internal abstract class DetectorModel : IDisposable
{
    protected DetectorModel(DetectorOptions options, IFeatureExtractor extractor, BackboneRecord backbone, ImageTransformOptions transform)
    {
        Options = options;
        Extractor = extractor;
        Backbone = backbone;
        Transform = new ImageTransform(transform);
    }

    /// <summary>The options the model was built with (the facade hands out copies).</summary>
    public DetectorOptions Options { get; }

    public IFeatureExtractor Extractor { get; }

    public BackboneRecord Backbone { get; }

    public ImageTransform Transform { get; }

    public Device Device => Extractor.Device;

    public int Height => Options.Backbone.ImageHeight;

    public int Width => Options.Backbone.ImageWidth;

    public Calibration? Calibration { get; set; }

    public bool IsFitted { get; protected set; }

    /// <summary>What the model learned from, recorded by <see cref="Fit"/> and <see cref="AddNormalImages"/>; null for a model
    /// loaded from a file written before the library recorded it.</summary>
    public TrainingDataSummary? TrainingData { get; set; }

    /// <summary>The content hash of the model file whose state this model holds unchanged (set by loading and saving,
    /// cleared by any change), recorded in an ONNX export; null when the state is in no file.</summary>
    public string? SourceModelSha256 { get; set; }

    /// <summary>The reduced type prediction computes in (<see cref="RuntimeOptions.Precision"/>); null for float32.</summary>
    protected ScalarType? ComputeType => Runtime.ReducedPrecision.ComputeType(Options.Runtime.ComputePrecision);

    /// <summary>The method's per-level scorer.</summary>
    protected abstract IAnomalyScorer Scorer { get; }

    /// <summary>The per-level scorer alone (benchmarks time it apart from the backbone).</summary>
    internal IAnomalyScorer LevelScorer => Scorer;

    /// <summary>Images per forward pass when a dataset is scored.</summary>
    protected virtual int DatasetBatchSize => 1;

    /// <summary>Scores a transformed batch (B, 3, H, W): per-level grids, their combination, the smoothed maps and the image scores.</summary>
    public AnomalyMaps Score(Tensor images)
    {
        using var scope = NewDisposeScope();
        var features = Extractor.Extract(images.to(Device), ComputeType);
        var grids = Scorer.ScoreLevels(features);
        var maps = PostProcess(grids);
        maps.Combined.MoveToOuterDisposeScope();
        maps.Smoothed.MoveToOuterDisposeScope();
        maps.ImageScores.MoveToOuterDisposeScope();
        return maps;
    }

    /// <summary>Turns the scorer's per-level grids into the maps and image scores, as the method's reference does.</summary>
    /// <param name="levelGrids">One (B, h, w) grid per level, in the caller's dispose scope.</param>
    protected abstract AnomalyMaps PostProcess(IReadOnlyList<Tensor> levelGrids);

    /// <summary>Scores every image of a dataset in order, decoding ahead on other threads.</summary>
    public IEnumerable<ScoredImage> ScoreDataset(ImageDataset dataset, bool withMasks, ILogger logger, CancellationToken cancellationToken)
    {
        var loader = new DatasetLoader(Transform, new DatasetLoaderOptions { BatchSize = DatasetBatchSize }, logger);
        var pixels = Height * Width;
        foreach (var batch in loader.ReadBatches(dataset.Items, cancellationToken))
        {
            float[] combined, smoothed, scores, masks;
            using (batch)
            using (var scope = NewDisposeScope())
            using (var maps = Score(batch.Images))
            {
                combined = maps.Combined.cpu().data<float>().ToArray();
                smoothed = maps.Smoothed.cpu().data<float>().ToArray();
                scores = maps.ImageScores.cpu().data<float>().ToArray();
                masks = withMasks ? batch.Masks.cpu().data<float>().ToArray() : [];
            }

            for (var i = 0; i < batch.Count; i++)
            {
                var mask = withMasks ? masks.AsSpan(i * pixels, pixels).ToArray().Select(v => v > 0.5f).ToArray() : null;
                yield return new ScoredImage(batch.Items[i], scores[i], combined.AsSpan(i * pixels, pixels).ToArray(), smoothed.AsSpan(i * pixels, pixels).ToArray(), mask);
            }
        }
    }

    /// <summary>Scores every image of a labelled dataset once and computes its image and pixel metrics, overall and per
    /// defect type, handing each scored image (score, maps and mask) to <paramref name="onImage"/> as well, so that plots
    /// and heatmaps need no second pass.</summary>
    /// <param name="testSet">Normal and defective images with masks.</param>
    /// <param name="progress">Receives the number of images scored so far.</param>
    /// <param name="logger">Receives the loader's messages.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <param name="onImage">Receives every scored image in dataset order, on the calling thread; null for none. The report
    /// builder keeps the arrays by reference until the report is built: read them, do not change them.</param>
    public EvaluationReport Evaluate(ImageDataset testSet, IProgress<int>? progress, ILogger logger, CancellationToken cancellationToken, Action<ScoredImage>? onImage = null)
    {
        var builder = new EvaluationReportBuilder(Height, Width);
        var done = 0;
        foreach (var scored in ScoreDataset(testSet, withMasks: true, logger, cancellationToken))
        {
            builder.Add(new EvaluationSample(scored.Item.ImagePath, scored.Item.DefectType, scored.Item.IsDefective, scored.Score, scored.Combined, scored.Smoothed, scored.Mask));
            onImage?.Invoke(scored);
            progress?.Report(++done);
        }

        return builder.Build(cancellationToken);
    }

    /// <summary>One prediction per image of a scored batch, with its source path and, when given, the original size its map
    /// is carried back to; with <paramref name="includeUnsmoothed"/>, the map before smoothing too, in the same geometry.</summary>
    public AnomalyPrediction[] Predictions(AnomalyMaps maps, IReadOnlyList<(string? Path, (int Height, int Width)? Original)> images, bool includeUnsmoothed = false)
    {
        var smoothed = maps.Smoothed.cpu().data<float>().ToArray();
        var combined = includeUnsmoothed ? maps.Combined.cpu().data<float>().ToArray() : null;
        var scores = maps.ImageScores.cpu().data<float>().ToArray();
        var pixels = Height * Width;
        return scores.Select((score, i) =>
        {
            AnomalyMap Geometry(float[] values) => images[i].Original is { } size ? MapAtOriginalResolution(values, size.Height, size.Width) : new AnomalyMap(Height, Width, values);
            var prediction = Prediction(score, Geometry(smoothed.AsSpan(i * pixels, pixels).ToArray()), images[i].Path);
            return combined is null ? prediction : prediction with { UnsmoothedMap = Geometry(combined.AsSpan(i * pixels, pixels).ToArray()) };
        }).ToArray();
    }

    /// <summary>The prediction of an image scored in a dataset pass, its map at the model's resolution.</summary>
    public AnomalyPrediction Prediction(ScoredImage scored) => Prediction(scored.Score, new AnomalyMap(Height, Width, scored.Smoothed), scored.Item.ImagePath);

    // The decision and normalised score come from the calibration in force.
    private AnomalyPrediction Prediction(float score, AnomalyMap map, string? path)
    {
        var calibration = Calibration;
        return new AnomalyPrediction(score, calibration?.Normalization is null ? null : calibration.Normalize(score), calibration?.IsAnomalous(score), map, path);
    }

    /// <summary>Learns from normal images (already checked to be non-empty and defect-free) and marks the model fitted.</summary>
    public abstract TrainingResult Fit(ImageDataset trainingSet, FitOptions fitOptions, IProgress<TrainingProgress>? progress, ILogger logger, CancellationToken cancellationToken);

    /// <summary>Adds normal images to a fitted (or unfitted) model without refitting; only methods that keep their normal
    /// images as such (HETMM's templates) support it.</summary>
    /// <exception cref="NotSupportedException">The method learns from its training set as a whole.</exception>
    public virtual void AddNormalImages(ImageDataset normalImages, IProgress<TrainingProgress>? progress, ILogger logger, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Options.Method} cannot take normal images after fitting: it learns from the whole training set, so call Fit with all normal images. HETMM supports adding normal images.");

    /// <summary>The method's part of an exported ONNX graph: from the backbone's stage outputs to the map and the image score.</summary>
    /// <param name="precision">The graph's arithmetic.</param>
    /// <exception cref="NotSupportedException">The method has no graph in <paramref name="precision"/>.</exception>
    public abstract IOnnxMethodGraph OnnxGraph(OnnxPrecision precision);

    /// <summary>Copies of the method's tensors, named as in the model file; the caller disposes them.</summary>
    public abstract Dictionary<string, Tensor> SaveState();

    /// <summary>Loads the method's tensors written by <see cref="SaveState"/> and marks the model fitted.</summary>
    /// <exception cref="ModelFileException">The tensors do not fit this model's configuration.</exception>
    public abstract void LoadState(IReadOnlyDictionary<string, Tensor> state, string path);

    /// <summary>Everything a model file or checkpoint holds, as copies the caller disposes.</summary>
    public ModelFileContent ToContent(bool embedBackbone, TrainingState? training)
    {
        var backboneState = embedBackbone
            ? Extractor.NamedWeights().ToDictionary(kv => kv.Key, kv => Runtime.TensorCopies.DetachedCpuCopy(kv.Value))
            : null;
        // A checkpoint holds a fit in progress, which has no summary yet.
        return new ModelFileContent(Options.Method.ToString(), ModelOptionsCodec.Write(Options), ModelFile.FormatVersion, Calibration, Backbone with { Embedded = embedBackbone }, SaveState(), backboneState, training, training is null ? TrainingData : null);
    }

    /// <summary>A map at the model input size carried back to an original image size.</summary>
    // Undo the resize (and crop): the map is placed over the crop region of the resized image, the rest takes the
    // map's minimum, and the canvas is resized bilinearly to the original size.
    public AnomalyMap MapAtOriginalResolution(float[] map, int height, int width)
    {
        using var scope = NewDisposeScope();
        var (resizedHeight, resizedWidth) = Transform.GetResizedSize(height, width);
        var crop = Transform.GetCropBox(resizedHeight, resizedWidth);
        var source = tensor(map, [Height, Width]);
        var canvas = full([resizedHeight, resizedWidth], source.min().item<float>());
        canvas[TensorIndex.Slice(crop.Top, crop.Top + crop.Height), TensorIndex.Slice(crop.Left, crop.Left + crop.Width)] = source;
        var resized = nn.functional.interpolate(canvas.unsqueeze(0).unsqueeze(0), size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        return new AnomalyMap(height, width, resized.flatten().data<float>().ToArray());
    }

    public virtual void Dispose() => Extractor.Dispose();

    /// <summary>The reference resize (both sides, or shorter side and centre crop) with ImageNet normalisation.</summary>
    protected static ImageTransformOptions ResizeTransform(BackboneOptions backbone) => backbone.KeepAspectRatio
        ? new ImageTransformOptions
        {
            ResizeShortSide = Math.Min(backbone.ImageHeight, backbone.ImageWidth),
            ResizeHeight = null,
            ResizeWidth = null,
            CropHeight = backbone.ImageHeight,
            CropWidth = backbone.ImageWidth,
        }
        : new ImageTransformOptions { ResizeHeight = backbone.ImageHeight, ResizeWidth = backbone.ImageWidth };
}

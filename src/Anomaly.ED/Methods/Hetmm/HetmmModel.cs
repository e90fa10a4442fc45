using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Export;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Scoring;
using Anomaly.ED.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>
/// The HETMM method: no training; fitting stores the L2-normalised pre-ReLU features of the normal images as templates
/// (optionally reduced per pixel by PTS), scoring matches a query against them (<see cref="AtmmScorer"/>) and
/// post-processes the maps as the chosen preset says (<see cref="HetmmMapGenerator"/>).
/// </summary>
internal sealed class HetmmModel : DetectorModel
{
    private const string TemplatePrefix = "hetmm.templates.";

    // Images per decoding batch; the backbone still sees one image at a time (see ExtractTemplates).
    private const int DecodeBatchSize = 8;

    private readonly TemplateStore store;
    private readonly AtmmScorer scorer;
    private readonly HetmmMapGenerator maps;

    public HetmmModel(DetectorOptions options, IFeatureExtractor extractor, BackboneRecord backbone)
        : base(options, extractor, backbone, HetmmTransform(options))
    {
        var configuration = HetmmConfiguration.FromOptions(options.Hetmm!);
        store = new TemplateStore(extractor.Stages.Select(s => s.Name).ToArray(), options.Hetmm!.HalfPrecisionTemplates);
        scorer = new AtmmScorer(store, configuration.Levels, (long)options.Hetmm!.MatchingMemoryMegabytes * 1024 * 1024 / sizeof(float), ComputeType);
        maps = new HetmmMapGenerator(Height, Width, configuration);
    }

    /// <summary>Templates per pixel position.</summary>
    /// <summary>The templates the ONNX export stores in the graph.</summary>
    internal TemplateStore Templates => store;

    public long TemplateCount => store.Count;

    /// <summary>Bytes the templates occupy.</summary>
    public long TemplateBytes => store.Bytes;

    protected override IAnomalyScorer Scorer => scorer;

    // 8 rather than 4: 5-8 % more images/s in `test` (docs/benchmarks.md), the same peak memory, as the matching's tiles
    // bound its temporaries whatever the batch.
    protected override int DatasetBatchSize => 8;

    public override TrainingResult Fit(ImageDataset trainingSet, FitOptions fitOptions, IProgress<TrainingProgress>? progress, ILogger logger, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var training = trainingSet;
        ImageDataset? heldOut = null;
        if (fitOptions.ValidationFraction > 0)
        {
            (training, heldOut) = trainingSet.HoldOutNormals(fitOptions.ValidationFraction, Options.Seed);
        }

        // The store is replaced only once every template is extracted: a cancelled fit leaves the model as it was.
        var templates = ExtractTemplates(training, progress, watch, logger, cancellationToken, out var sizes);
        var used = (int)templates[0].shape[0];
        try
        {
            using var scope = NewDisposeScope();
            store.Replace(Reduce(templates, logger, cancellationToken));
        }
        finally
        {
            foreach (var level in templates)
            {
                level.Dispose();
            }
        }

        TrainingData = TrainingDataSummary.Fitted(trainingSet, used, sizes, epochs: null, templates: store.Count);
        IsFitted = true;
        Log.TemplatesStored(logger, store.Count, training.Count, store.Bytes / (1024.0 * 1024.0));
        string? metricName = null;
        var history = new List<double>();
        if (fitOptions.ValidationSet is not null)
        {
            var scored = ScoreDataset(fitOptions.ValidationSet, withMasks: false, logger, cancellationToken).ToArray();
            metricName = "image_auroc";
            history.Add(BinaryMetrics.Auroc(scored.Select(s => s.Score).ToArray(), scored.Select(s => s.Item.IsDefective).ToArray()));
        }

        if (fitOptions.CalibrationFalsePositiveRate is { } rate && heldOut is not null)
        {
            Calibration = ThresholdCalibration.FromNormalScores(ScoreDataset(heldOut, withMasks: false, logger, cancellationToken).Select(s => s.Score).ToArray(), rate);
        }

        return new TrainingResult(1, WeightSelection.Last, 1, metricName, history, [], watch.Elapsed, false);
    }

    public override void AddNormalImages(ImageDataset normalImages, IProgress<TrainingProgress>? progress, ILogger logger, CancellationToken cancellationToken)
    {
        var templates = ExtractTemplates(normalImages, progress, Stopwatch.StartNew(), logger, cancellationToken, out var sizes);
        var used = (int)templates[0].shape[0];
        try
        {
            using var scope = NewDisposeScope();
            if (Options.Hetmm!.TemplateSheets is null || store.Count == 0)
            {
                store.Add(Reduce(templates, logger, cancellationToken));
            }
            else
            {
                // A tiny set stays tiny: the current sheets and the new templates are selected from together.
                var merged = templates.Select((t, i) => cat([store.ToImageMajor(i, t.shape[2], t.shape[3]).to(t.dtype), t], 0)).ToArray();
                store.Replace(Reduce(merged, logger, cancellationToken));
            }
        }
        finally
        {
            foreach (var level in templates)
            {
                level.Dispose();
            }
        }

        TrainingData = TrainingDataSummary.Added(TrainingData, normalImages, used, sizes, store.Count);
        IsFitted = true;
        Log.TemplatesStored(logger, store.Count, normalImages.Count, store.Bytes / (1024.0 * 1024.0));
    }

    public override IOnnxMethodGraph OnnxGraph(OnnxPrecision precision) => new HetmmOnnxExport(this, precision);

    public override Dictionary<string, Tensor> SaveState() =>
        store.Save(TemplatePrefix, i => (Extractor.Stages[i].OutputSize(Height), Extractor.Stages[i].OutputSize(Width)));

    public override void LoadState(IReadOnlyDictionary<string, Tensor> state, string path)
    {
        var stages = Extractor.Stages;
        var foreign = state.Keys.FirstOrDefault(k => !stages.Any(s => k == TemplatePrefix + s.Name));
        if (foreign is not null)
        {
            throw new ModelFileException(path, $"tensor '{foreign}' is not a template level of this HETMM model ({string.Join(", ", stages.Select(s => s.Name))}).");
        }

        var levels = new Tensor[stages.Count];
        long? count = null;
        for (var i = 0; i < stages.Count; i++)
        {
            var name = TemplatePrefix + stages[i].Name;
            var templates = state.GetValueOrDefault(name) ?? throw new ModelFileException(path, $"tensor '{name}' is missing.");
            long[] expected = [count ?? templates.shape[0], stages[i].Channels, stages[i].OutputSize(Height), stages[i].OutputSize(Width)];
            if (templates.ndim != 4 || !templates.shape.SequenceEqual(expected) || expected[0] == 0 || !templates.is_floating_point())
            {
                throw new ModelFileException(path, string.Create(CultureInfo.InvariantCulture, $"tensor '{name}' is [{string.Join(", ", templates.shape)}] {templates.dtype}; expected floating-point ({(count is null ? "N > 0" : count.ToString())}, {expected[1]}, {expected[2]}, {expected[3]})."));
            }

            count = templates.shape[0];
            levels[i] = templates;
        }

        using (var scope = NewDisposeScope())
        {
            store.Replace(levels.Select(l => l.to(Device)).ToArray());
        }

        IsFitted = true;
    }

    public override void Dispose()
    {
        store.Dispose();
        base.Dispose();
    }

    protected override AnomalyMaps PostProcess(IReadOnlyList<Tensor> levelGrids) => maps.Generate(levelGrids);

    private static ImageTransformOptions HetmmTransform(DetectorOptions options)
    {
        // The reference resizes both sides bilinearly with no crop; KeepAspectRatio swaps in the shorter-side resize and centre crop.
        var transform = ResizeTransform(options.Backbone);
        var reference = ImageTransformOptions.Hetmm();
        transform.ImageFilter = reference.ImageFilter;
        transform.MaskResampling = reference.MaskResampling;
        if (options.Hetmm!.ReferenceNormalization)
        {
            transform.Std = reference.Std;
        }

        return transform;
    }

    // Per level, the (N, C, H, W) normalised templates of the images, in the store's precision, and the images' distinct sizes. Each image goes through
    // the backbone alone, so a template does not depend on which images shared its batch and templates added later equal
    // those of a fit on all images together.
    private Tensor[] ExtractTemplates(ImageDataset images, IProgress<TrainingProgress>? progress, Stopwatch watch, ILogger logger, CancellationToken cancellationToken, out IReadOnlyList<(int Height, int Width)> imageSizes)
    {
        var loader = new DatasetLoader(Transform, new DatasetLoaderOptions { BatchSize = DecodeBatchSize }, logger);
        var levels = Extractor.Stages.Select(_ => new List<Tensor>()).ToArray();
        var steps = (images.Count + DecodeBatchSize - 1) / DecodeBatchSize;
        var step = 0;
        var done = 0;
        try
        {
            foreach (var batch in loader.ReadBatches(images.Items, cancellationToken))
            {
                using (batch)
                {
                    for (var b = 0; b < batch.Count; b++)
                    {
                        using var scope = NewDisposeScope();
                        using var features = Extractor.Extract(batch.Images[b..(b + 1)].to(Device));
                        for (var i = 0; i < levels.Length; i++)
                        {
                            levels[i].Add(AtmmScorer.Normalize(features[i]).to(store.DataType).MoveToOuterDisposeScope());
                        }
                    }
                }

                done += batch.Count;
                step++;
                var rate = done / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
                progress?.Report(new TrainingProgress(1, 1, step, steps, [], rate, watch.Elapsed, TimeSpan.FromSeconds((images.Count - done) / Math.Max(rate, 1e-9))));
            }

            if (done == 0)
            {
                throw new ArgumentException($"No image of '{images.Name}' could be read; HETMM needs at least one normal image.", nameof(images));
            }

            imageSizes = loader.ImageSizes;
            return levels.Select(l => cat(l, 0)).ToArray();
        }
        finally
        {
            foreach (var tensor in levels.SelectMany(l => l))
            {
                tensor.Dispose();
            }
        }
    }

    // The full set, or PTS's per-pixel tiny set when Hetmm.TemplateSheets is set (in a dispose scope the caller holds).
    private Tensor[] Reduce(Tensor[] templates, ILogger logger, CancellationToken cancellationToken)
    {
        if (Options.Hetmm!.TemplateSheets is not { } sheets)
        {
            return templates;
        }

        var watch = Stopwatch.StartNew();
        var reduced = templates.Select(t => PatchTemplateSelection.Select(t.to(ScalarType.Float32), sheets, cancellationToken: cancellationToken)).ToArray();
        Log.TemplatesSelected(logger, templates[0].shape[0], reduced[0].shape[0], watch.Elapsed.TotalSeconds);
        return reduced;
    }
}

using System.Globalization;
using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Export;
using Anomaly.ED.Formats;
using Anomaly.ED.Methods.Ed.Import;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Methods.Ed.Scoring;
using Anomaly.ED.Methods.Ed.Training;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Runtime;
using Anomaly.ED.Scoring;
using Anomaly.ED.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed;

/// <summary>The ED and FOD methods: one transformer per level with its reference features, trained by <see cref="EdTrainer"/> and scored by <see cref="EdAnomalyScorer"/>.</summary>
internal sealed class EdModel : DetectorModel
{
    private readonly EdLevelNetwork[] networks;
    private readonly EdAnomalyScorer scorer;
    private readonly ReducedCopy<NetworkSet> reduced;
    private readonly AnomalyMapGenerator maps;

    public EdModel(DetectorOptions options, IFeatureExtractor extractor, BackboneRecord backbone)
        : base(options, extractor, backbone, ResizeTransform(options.Backbone))
    {
        networks = NewNetworks();
        try
        {
            foreach (var network in networks)
            {
                network.to(Device);
                network.eval();
            }

            reduced = new ReducedCopy<NetworkSet>(type => new NetworkSet(networks.Select(n => ReducedCopy.Of(n, () => new EdLevelNetwork(n.Options), type, Device, CopyReference(n))).ToArray()));
            scorer = new EdAnomalyScorer(networks, options.Ed!.Network.Score, ComputeType, type => reduced.Get(type).Networks);
            maps = new AnomalyMapGenerator(
                options.Backbone.ImageHeight,
                options.Backbone.ImageWidth,
                options.Ed.SmoothingSigma > 0 ? new GaussianMapSmoother(options.Ed.SmoothingSigma) : null);
        }
        catch
        {
            DisposeNetworks(networks);
            throw;
        }
    }

    public IReadOnlyList<EdLevelNetwork> Networks => networks;

    /// <summary>The post-processing the ONNX export reproduces.</summary>
    internal AnomalyMapGenerator MapGenerator => maps;

    protected override IAnomalyScorer Scorer => scorer;

    // The reference ED post-processing: levels upsampled and averaged, Gaussian smoothing, maximum.
    protected override AnomalyMaps PostProcess(IReadOnlyList<Tensor> levelGrids) => maps.Generate(levelGrids);

    public override TrainingResult Fit(ImageDataset trainingSet, FitOptions fitOptions, IProgress<TrainingProgress>? progress, ILogger logger, CancellationToken cancellationToken)
    {
        var trainer = new EdTrainer(
            new EdTrainingSetup(
                Options,
                networks,
                Extractor,
                Transform,
                ResetNetworks,
                (dataset, token) =>
                {
                    // Validation scores the weights of this epoch.
                    reduced.Invalidate();
                    var scored = ScoreDataset(dataset, withMasks: false, logger, token).ToArray();
                    return (scored.Select(r => r.Score).ToArray(), scored.Select(r => r.Item.IsDefective).ToArray());
                },
                state => ToContent(!Backbone.Pretrained, state),
                RestoreCheckpoint),
            logger);
        try
        {
            var outcome = trainer.Run(trainingSet, fitOptions, progress, cancellationToken);
            if (outcome.Calibration is not null)
            {
                Calibration = outcome.Calibration;
            }

            TrainingData = TrainingDataSummary.Fitted(trainingSet, outcome.ImagesUsed, outcome.ImageSizes, outcome.Result.EpochsCompleted, templates: null);
            IsFitted = true;
            return outcome.Result;
        }
        finally
        {
            reduced.Invalidate();
            IsFitted |= trainer.HoldsCompleteState;
            foreach (var network in networks)
            {
                network.eval();
            }
        }
    }

    /// <summary>Loads a checkpoint of the reference ED/FOD trainer and its reference features, validated before anything is copied.</summary>
    public void ImportReferenceCheckpoint(string checkpointPath, string referenceFeaturesPath)
    {
        reduced.Invalidate();
        ReferenceCheckpointImport.ImportInto(networks, [.. Extractor.Stages.Select(s => s.Name)], checkpointPath, referenceFeaturesPath);
        IsFitted = true;
    }

    public override IOnnxMethodGraph OnnxGraph(OnnxPrecision precision) => precision == OnnxPrecision.Float32
        ? new EdOnnxExport(this)
        : throw new NotSupportedException($"An {precision} ONNX export (ExportOnnxInt8, anomaly-ed export --graph-precision int8) is available for HETMM models only; export this {Options.Method} model in float32.");

    public override Dictionary<string, Tensor> SaveState()
    {
        var state = new Dictionary<string, Tensor>();
        for (var level = 0; level < networks.Length; level++)
        {
            foreach (var (name, tensor) in networks[level].state_dict())
            {
                state[NetworkPrefix(level) + name] = TensorCopies.DetachedCpuCopy(tensor);
            }

            state[ReferenceName(level)] = networks[level].GetReferenceFeatures();
        }

        return state;
    }

    public override void LoadState(IReadOnlyDictionary<string, Tensor> state, string path)
    {
        reduced.Invalidate();
        var known = Enumerable.Range(0, networks.Length).Select(NetworkPrefix).ToArray();
        var foreign = state.Keys.FirstOrDefault(k => !known.Any(p => k.StartsWith(p, StringComparison.Ordinal)) && !IsReference(k));
        if (foreign is not null)
        {
            throw new ModelFileException(path, string.Create(CultureInfo.InvariantCulture, $"tensor '{foreign}' belongs to no level of this {Options.Method} model ({networks.Length} levels)."));
        }

        for (var level = 0; level < networks.Length; level++)
        {
            var prefix = NetworkPrefix(level);
            var levelState = state.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
            var reference = state.GetValueOrDefault(ReferenceName(level))
                ?? throw new ModelFileException(path, $"tensor '{ReferenceName(level)}' is missing.");
            try
            {
                networks[level].LoadStateDict(levelState);
                networks[level].SetReferenceFeatures(reference);
            }
            catch (Exception e) when (e is StateDictMismatchException or ArgumentException)
            {
                throw new ModelFileException(path, string.Create(CultureInfo.InvariantCulture, $"level {level} does not fit its configuration: {e.Message}"), e);
            }

            networks[level].eval();
        }

        IsFitted = true;
    }

    public override void Dispose()
    {
        reduced.Dispose();
        DisposeNetworks(networks);
        base.Dispose();
    }

    private static string NetworkPrefix(int level) => string.Create(CultureInfo.InvariantCulture, $"levels.{level}.network.");

    private static string ReferenceName(int level) => string.Create(CultureInfo.InvariantCulture, $"levels.{level}.reference_features");

    private static bool IsReference(string name) => name.StartsWith("levels.", StringComparison.Ordinal) && name.EndsWith(".reference_features", StringComparison.Ordinal);

    private static void DisposeNetworks(IEnumerable<EdLevelNetwork> levels)
    {
        foreach (var network in levels)
        {
            network.Dispose();
        }
    }

    // The reference features are no parameter, so the state dict does not carry them into a copy.
    private static Action<EdLevelNetwork> CopyReference(EdLevelNetwork source) => copy =>
    {
        if (source.HasReferenceFeatures)
        {
            using var features = source.GetReferenceFeatures();
            copy.SetReferenceFeatures(features);
        }
    };

    private TrainingState RestoreCheckpoint(string checkpointPath, EdOptimizationStep step)
    {
        using var content = ModelFile.Load(checkpointPath);
        if (content.Training is null)
        {
            throw new ModelFileException(checkpointPath, "it is a model file, not a training checkpoint.");
        }

        if (content.Backbone.Fingerprint != Backbone.Fingerprint || content.Method != Options.Method.ToString() || ModelOptionsCodec.Read(content, checkpointPath).Backbone.Levels!.Count != networks.Length)
        {
            throw new ModelFileException(checkpointPath, "it was written for another method, backbone or level configuration than this detector's.");
        }

        LoadState(content.State, checkpointPath);
        if (content.Training.OptimizerState is { } optimizerState)
        {
            step.LoadOptimizerState(optimizerState);
        }

        return content.Training;
    }

    // Each fit starts from the seeded initial parameters, so that fitting twice with the same options gives the same model.
    private void ResetNetworks()
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
            DisposeNetworks(fresh);
        }
    }

    private EdLevelNetwork[] NewNetworks()
    {
        lock (TorchRandom.Gate)
        {
            random.manual_seed(Options.Seed);
            return Extractor.Stages.Select(stage => new EdLevelNetwork(LevelOptions(Options, stage))).ToArray();
        }
    }

    private static EdLevelOptions LevelOptions(DetectorOptions options, FeatureStage stage)
    {
        var network = options.Ed!.Network;
        var fod = options.Method == DetectorMethod.Fod;
        return new EdLevelOptions
        {
            GridHeight = stage.OutputSize(options.Backbone.ImageHeight),
            GridWidth = stage.OutputSize(options.Backbone.ImageWidth),
            InputChannels = stage.Channels,
            ModelDimension = network.ModelDimensions![options.Backbone.Levels!.IndexOf(stage.Name)],
            Network = network.Clone(),
            Fusion = fod ? FusionKind.Difference : FusionKind.Concatenate,
            FeedForward = fod ? FeedForwardKind.Plain : FeedForwardKind.ConvolutionalMedian,
            Scale = fod ? AttentionScaleKind.Fixed : AttentionScaleKind.Learnable,
        };
    }

    // The reduced copies of the level networks, disposed together.
    private sealed class NetworkSet(EdLevelNetwork[] networks) : IDisposable
    {
        public IReadOnlyList<EdLevelNetwork> Networks => networks;

        public void Dispose() => DisposeNetworks(networks);
    }
}

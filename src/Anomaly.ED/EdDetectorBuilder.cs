using Anomaly.ED.Backbones;
using Anomaly.ED.Training;
using Anomaly.ED.Weights;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anomaly.ED;

/// <summary>
/// Composes an <see cref="EdDetector"/> fluently. The defaults reproduce the reference ED configuration; every method
/// changes one choice, and <see cref="Build"/> validates everything at once and throws one exception listing every problem.
/// </summary>
/// <example>
/// <code>
/// using var detector = new EdDetectorBuilder()
///     .WithBackbone("wide_resnet50_2", weightsPath: "wide_resnet50_2.safetensors")
///     .WithEpochs(100)
///     .Build();
/// </code>
/// </example>
public sealed class EdDetectorBuilder
{
    private readonly EdOptions options;
    private ILoggerFactory? loggerFactory;

    /// <summary>Starts from the reference configuration.</summary>
    public EdDetectorBuilder()
        : this(new EdOptions())
    {
    }

    /// <summary>Starts from a copy of <paramref name="options"/> (for example bound from configuration).</summary>
    public EdDetectorBuilder(EdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Clone();
    }

    /// <summary>Chooses the backbone and, optionally, a local safetensors file with its weights (torchvision or timm names).</summary>
    public EdDetectorBuilder WithBackbone(string name, string? weightsPath = null) => Set(o =>
    {
        o.Backbone = name;
        if (weightsPath is not null)
        {
            o.BackboneWeightsPath = weightsPath;
            o.PretrainedCheckpoint = null;
        }
    });

    /// <summary>Uses a pretrained checkpoint from the catalog, from the local cache or, when <paramref name="allowDownload"/> is true, downloaded into it.</summary>
    public EdDetectorBuilder WithPretrainedBackbone(string checkpoint, bool allowDownload = false, string? cacheDirectory = null) => Set(o =>
    {
        o.PretrainedCheckpoint = checkpoint;
        o.BackboneWeightsPath = null;
        o.AllowDownload = allowDownload;
        o.WeightsCacheDirectory = cacheDirectory;
    });

    /// <summary>Allows running with untrained (random, seeded) backbone weights; accuracy is then far below that of ImageNet weights.</summary>
    public EdDetectorBuilder WithUntrainedBackbone() => Set(o =>
    {
        o.AllowUntrainedBackbone = true;
        o.BackboneWeightsPath = null;
        o.PretrainedCheckpoint = null;
    });

    /// <summary>Chooses the backbone stages the levels read and each level's d_model.</summary>
    public EdDetectorBuilder WithLevels(IReadOnlyList<string> stages, IReadOnlyList<int> modelDimensions) => Set(o =>
    {
        o.Levels = [.. stages];
        o.ModelDimensions = [.. modelDimensions];
    });

    /// <summary>Sets a square input size in pixels.</summary>
    public EdDetectorBuilder WithImageSize(int size) => WithImageSize(size, size);

    /// <summary>Sets the input height and width in pixels.</summary>
    public EdDetectorBuilder WithImageSize(int height, int width) => Set(o => (o.ImageHeight, o.ImageWidth) = (height, width));

    /// <summary>Keeps the aspect ratio: the shorter side is resized and the centre cropped, instead of resizing both sides.</summary>
    public EdDetectorBuilder KeepAspectRatio(bool keep = true) => Set(o => o.KeepAspectRatio = keep);

    /// <summary>Chooses the ED or FOD network.</summary>
    public EdDetectorBuilder WithVariant(EdVariant variant) => Set(o => o.Variant = variant);

    /// <summary>Sets the transformer sizes of every level.</summary>
    public EdDetectorBuilder WithNetwork(int heads, int layers, int feedForwardScale = EdDefaults.FeedForwardScale, double dropout = 0) => Set(o =>
    {
        o.Heads = heads;
        o.Layers = layers;
        o.FeedForwardScale = feedForwardScale;
        o.Dropout = dropout;
    });

    /// <summary>Chooses which correlation branches are learned.</summary>
    public EdDetectorBuilder WithCorrelations(bool intra, bool inter) => Set(o => (o.WithIntra, o.WithInter) = (intra, inter));

    /// <summary>Adds a learned relative-position bias to every attention.</summary>
    public EdDetectorBuilder WithRelativePositionBias(bool enabled = true) => Set(o => o.RelativePositionBias = enabled);

    /// <summary>Applies the attention output projection, which the reference computes and discards (off by default for parity).</summary>
    public EdDetectorBuilder UseOutProjection(bool enabled = true) => Set(o => o.UseOutProjection = enabled);

    /// <summary>Chooses how token scores are formed and the smoothing of the maps (sigma 0 turns it off).</summary>
    public EdDetectorBuilder WithScoring(AnomalyScoreKind score, double smoothingSigma = EdDefaults.SmoothingSigma) => Set(o =>
    {
        o.Score = score;
        o.SmoothingSigma = smoothingSigma;
    });

    /// <summary>Sets the number of training epochs.</summary>
    public EdDetectorBuilder WithEpochs(int epochs) => Set(o => o.Epochs = epochs);

    /// <summary>Sets the training batch size.</summary>
    public EdDetectorBuilder WithBatchSize(int batchSize) => Set(o => o.BatchSize = batchSize);

    /// <summary>Sets the Adam learning rate.</summary>
    public EdDetectorBuilder WithLearningRate(double learningRate) => Set(o => o.LearningRate = learningRate);

    /// <summary>Sets the weights of the correlation (lambda1) and entropy (lambda2) terms.</summary>
    public EdDetectorBuilder WithLossWeights(double lambda1, double lambda2) => Set(o => (o.Lambda1, o.Lambda2) = (lambda1, lambda2));

    /// <summary>Chooses one Adam step per level (the reference) or one joint step per batch.</summary>
    public EdDetectorBuilder WithStepMode(EdStepMode mode) => Set(o => o.StepMode = mode);

    /// <summary>Sets the seed of initialisation and shuffling.</summary>
    public EdDetectorBuilder WithSeed(int seed) => Set(o => o.Seed = seed);

    /// <summary>Chooses the device: <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c>.</summary>
    public EdDetectorBuilder UseDevice(string device) => Set(o => o.Device = device);

    /// <summary>Sends log messages to <paramref name="factory"/>.</summary>
    public EdDetectorBuilder WithLoggerFactory(ILoggerFactory factory)
    {
        loggerFactory = factory;
        return this;
    }

    /// <summary>Changes any option directly.</summary>
    public EdDetectorBuilder Configure(Action<EdOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Set(configure);
    }

    /// <summary>Validates the configuration and builds the detector (loading the backbone weights; a download, when allowed, blocks).</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">One or more options are invalid; the message lists them all.</exception>
    public EdDetector Build() => BuildAsync().GetAwaiter().GetResult();

    /// <summary>Validates the configuration and builds the detector, downloading pretrained weights asynchronously when allowed.</summary>
    /// <param name="cancellationToken">Cancels a download.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">One or more options are invalid; the message lists them all.</exception>
    public async Task<EdDetector> BuildAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = options.Clone();
        EdOptionsValidator.ThrowIfInvalid(snapshot);
        var logs = loggerFactory ?? NullLoggerFactory.Instance;
        var (extractor, record) = await CreateExtractor(snapshot, snapshot.AllowDownload, snapshot.WeightsCacheDirectory, cancellationToken).ConfigureAwait(false);
        try
        {
            extractor.to(DeviceName.ToDevice(snapshot.Device));
            var detector = new EdDetector(snapshot, extractor, record, logs);
            var logger = logs.CreateLogger<EdDetector>();
            if (!record.Pretrained)
            {
                Log.UntrainedBackbone(logger, snapshot.Backbone);
            }

            Log.DetectorBuilt(logger, snapshot.Variant, snapshot.Backbone, record.Source ?? "untrained", string.Join("+", snapshot.Levels), snapshot.ImageHeight, snapshot.ImageWidth, snapshot.Device);
            return detector;
        }
        catch
        {
            extractor.Dispose();
            throw;
        }
    }

    /// <summary>Creates the feature extractor the options describe and records its identity.</summary>
    internal static async Task<(ResNetFeatureExtractor Extractor, BackboneRecord Record)> CreateExtractor(
        EdOptions options, bool allowDownload, string? cacheDirectory, CancellationToken cancellationToken)
    {
        ResNetFeatureExtractor extractor;
        string? source;
        if (options.BackboneWeightsPath is not null)
        {
            extractor = ResNetFeatureExtractor.Create(options.Backbone, options.Levels).LoadWeights(options.BackboneWeightsPath);
            source = options.BackboneWeightsPath;
        }
        else if (options.PretrainedCheckpoint is not null)
        {
            var cache = new PretrainedWeightsCache(new PretrainedWeightsOptions { CacheDirectory = cacheDirectory });
            extractor = await ResNetFeatureExtractor.FromPretrainedAsync(options.Backbone, options.Levels, options.PretrainedCheckpoint, allowDownload, cache, cancellationToken: cancellationToken).ConfigureAwait(false);
            source = options.PretrainedCheckpoint;
        }
        else
        {
            // Seeded so that an untrained backbone is the same on every build with the same options.
            lock (TorchRandom.Gate)
            {
                TorchSharp.torch.random.manual_seed(options.Seed);
                extractor = ResNetFeatureExtractor.Create(options.Backbone, options.Levels);
            }

            source = null;
        }

        return (extractor, new BackboneRecord(options.Backbone, BackboneFingerprint.Compute(extractor.Network), source is not null, false, source));
    }

    private EdDetectorBuilder Set(Action<EdOptions> change)
    {
        change(options);
        return this;
    }
}

using Anomaly.ED.Data;
using Anomaly.ED.Methods;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Methods.Ed.Training;
using Anomaly.ED.Methods.Hetmm;
using Anomaly.ED.Pretrained;
using Anomaly.ED.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anomaly.ED;

/// <summary>
/// Composes an <see cref="EdDetector"/> fluently: the method (<see cref="UseEd"/>, <see cref="UseFod"/>, <see cref="UseHetmm"/>), the backbone and
/// the method's settings. The defaults reproduce the reference ED configuration; every call changes one choice, and <see cref="Build"/> validates everything at once and throws one exception listing every problem.
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
    private readonly DetectorOptions options;
    private ILoggerFactory? loggerFactory;

    /// <summary>Starts from the reference configuration.</summary>
    public EdDetectorBuilder()
        : this(new DetectorOptions())
    {
    }

    /// <summary>Starts from a copy of <paramref name="options"/> (for example bound from configuration).</summary>
    public EdDetectorBuilder(DetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Clone();
    }

    /// <summary>Runs ED ("Emphasize Differences"), the default method.</summary>
    public EdDetectorBuilder UseEd() => UseMethod(DetectorMethod.Ed);

    /// <summary>Runs FOD ("Focus the Discrepancy"), ED's predecessor.</summary>
    public EdDetectorBuilder UseFod() => UseMethod(DetectorMethod.Fod);

    /// <summary>Runs HETMM, the training-free template matching: fitting only stores the normal images' features, and more
    /// normal images can be added later with <see cref="EdDetector.AddNormalImages(ImageDataset, IProgress{TrainingProgress}?, CancellationToken)"/>.</summary>
    /// <param name="preset">The matching and post-processing preset: an MVTec AD category (e.g. <c>"bottle"</c>) or <c>"default"</c>; see <see cref="HetmmPresets.Names"/>.</param>
    /// <param name="templateSheets">Templates kept per pixel by the tiny-template-set selection (PTS); null keeps every normal image.</param>
    /// <remarks>Unless a backbone is chosen, HETMM runs on its reference backbone, wide_resnet101_2 with stages layer1 to layer3.</remarks>
    public EdDetectorBuilder UseHetmm(string preset = HetmmPresets.Default, int? templateSheets = null) => UseMethod(DetectorMethod.Hetmm).Set(o =>
    {
        o.Hetmm ??= new HetmmOptions();
        o.Hetmm.Preset = preset;
        o.Hetmm.Parameters = null;
        o.Hetmm.TemplateSheets = templateSheets;
    });

    /// <summary>Runs <paramref name="method"/>. Settings given earlier for a method with other settings are dropped, and the
    /// backbone stages return to the method's reference stages (<see cref="MethodDescriptor.DefaultLevels"/>).</summary>
    public EdDetectorBuilder UseMethod(DetectorMethod method) => Set(o =>
    {
        var chosen = MethodDescriptor.For(method);
        if (Enum.IsDefined(o.Method) && MethodDescriptor.For(o.Method).OptionsGroup != chosen.OptionsGroup)
        {
            o.Backbone.Levels = null;
        }

        foreach (var other in MethodDescriptor.All.Where(d => d.OptionsGroup != chosen.OptionsGroup))
        {
            other.ClearSettings(o);
        }

        o.Method = method;
    });

    /// <summary>Adapts the configuration to a benchmark training set as the chosen method's reference does: the geometry
    /// (BTAD and MVTec 3D-AD keep their aspect ratio for ED and FOD) and, for HETMM, the MVTec AD category's preset.
    /// Call it after choosing the method; later calls still change any choice.</summary>
    /// <param name="trainingSet">The training set, as a benchmark reader (<see cref="MvtecAdDataset"/>, <see cref="BtadDataset"/>, <see cref="Mvtec3dRgbDataset"/>) or <see cref="FolderDataset"/> listed it.</param>
    public EdDetectorBuilder ForTrainingSet(ImageDataset trainingSet)
    {
        ArgumentNullException.ThrowIfNull(trainingSet);
        return Set(o => MethodDescriptor.For(o.Method).ApplyDatasetRecipe(o, trainingSet));
    }

    /// <summary>Chooses the backbone and, optionally, a local safetensors file with its weights (torchvision or timm names).</summary>
    public EdDetectorBuilder WithBackbone(string name, string? weightsPath = null) => Set(o =>
    {
        o.Backbone.Name = name;
        if (weightsPath is not null)
        {
            o.Backbone.WeightsPath = weightsPath;
            o.Backbone.PretrainedCheckpoint = null;
        }
    });

    /// <summary>Uses a pretrained checkpoint from the catalog, from the local cache or, when <paramref name="allowDownload"/> is true, downloaded into it.</summary>
    public EdDetectorBuilder WithPretrainedBackbone(string checkpoint, bool allowDownload = false, string? cacheDirectory = null) => Set(o =>
    {
        o.Backbone.PretrainedCheckpoint = checkpoint;
        o.Backbone.WeightsPath = null;
        o.Runtime.AllowDownload = allowDownload;
        o.Runtime.WeightsCacheDirectory = cacheDirectory;
    });

    /// <summary>Uses resolved backbone weights (<see cref="BackboneWeights.ResolveAsync"/>): their architecture and their file, cached checkpoint or untrained weights.</summary>
    public EdDetectorBuilder WithBackboneWeights(BackboneWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        WithBackbone(weights.Architecture);
        return weights.Checkpoint is not null
            ? WithPretrainedBackbone(weights.Checkpoint.Name, allowDownload: false, cacheDirectory: weights.CacheDirectory)
            : weights.FilePath is not null ? WithBackbone(weights.Architecture, weights.FilePath) : WithUntrainedBackbone();
    }

    /// <summary>Allows running with untrained (random, seeded) backbone weights; accuracy is then far below that of ImageNet weights.</summary>
    public EdDetectorBuilder WithUntrainedBackbone() => Set(o =>
    {
        o.Backbone.AllowUntrained = true;
        o.Backbone.WeightsPath = null;
        o.Backbone.PretrainedCheckpoint = null;
    });

    /// <summary>Chooses the backbone stages the levels read (every method).</summary>
    public EdDetectorBuilder WithLevels(IReadOnlyList<string> stages) => Set(o => o.Backbone.Levels = [.. stages]);

    /// <summary>Chooses the backbone stages the levels read and each level's d_model (ED and FOD).</summary>
    public EdDetectorBuilder WithLevels(IReadOnlyList<string> stages, IReadOnlyList<int> modelDimensions) => Set(o =>
    {
        o.Backbone.Levels = [.. stages];
        EdSettings(o).Network.ModelDimensions = [.. modelDimensions];
    });

    /// <summary>Sets a square input size in pixels.</summary>
    public EdDetectorBuilder WithImageSize(int size) => WithImageSize(size, size);

    /// <summary>Sets the input height and width in pixels.</summary>
    public EdDetectorBuilder WithImageSize(int height, int width) => Set(o => (o.Backbone.ImageHeight, o.Backbone.ImageWidth) = (height, width));

    /// <summary>Keeps the aspect ratio: the shorter side is resized and the centre cropped, instead of resizing both sides.</summary>
    public EdDetectorBuilder KeepAspectRatio(bool keep = true) => Set(o => o.Backbone.KeepAspectRatio = keep);

    /// <summary>Sets the transformer sizes of every level (ED and FOD).</summary>
    public EdDetectorBuilder WithNetwork(int heads, int layers, int feedForwardScale = 4, double dropout = 0) => Set(o =>
    {
        var network = EdSettings(o).Network;
        (network.Heads, network.Layers, network.FeedForwardScale, network.Dropout) = (heads, layers, feedForwardScale, dropout);
    });

    /// <summary>Chooses which correlation branches are learned (ED and FOD).</summary>
    public EdDetectorBuilder WithCorrelations(bool intra, bool inter) => Set(o => (EdSettings(o).Network.WithIntra, EdSettings(o).Network.WithInter) = (intra, inter));

    /// <summary>Adds a learned relative-position bias to every attention (ED and FOD).</summary>
    public EdDetectorBuilder WithRelativePositionBias(bool enabled = true) => Set(o => EdSettings(o).Network.RelativePositionBias = enabled);

    /// <summary>Applies the attention output projection, which the reference computes and discards (off by default for parity).</summary>
    public EdDetectorBuilder UseOutProjection(bool enabled = true) => Set(o => EdSettings(o).Network.UseOutProjection = enabled);

    /// <summary>Chooses how token scores are formed (ED and FOD) and the smoothing of the maps (sigma 0 turns it off).</summary>
    public EdDetectorBuilder WithScoring(AnomalyScoreKind score, double smoothingSigma = 4) => Set(o =>
    {
        EdSettings(o).Network.Score = score;
        EdSettings(o).SmoothingSigma = smoothingSigma;
    });

    /// <summary>Sets the number of training epochs.</summary>
    public EdDetectorBuilder WithEpochs(int epochs) => Set(o => EdSettings(o).Training.Epochs = epochs);

    /// <summary>Sets the training batch size.</summary>
    public EdDetectorBuilder WithBatchSize(int batchSize) => Set(o => EdSettings(o).Training.BatchSize = batchSize);

    /// <summary>Sets the Adam learning rate.</summary>
    public EdDetectorBuilder WithLearningRate(double learningRate) => Set(o => EdSettings(o).Training.LearningRate = learningRate);

    /// <summary>Sets the weights of the correlation (lambda1) and entropy (lambda2) terms.</summary>
    public EdDetectorBuilder WithLossWeights(double lambda1, double lambda2) => Set(o => (EdSettings(o).Training.Lambda1, EdSettings(o).Training.Lambda2) = (lambda1, lambda2));

    /// <summary>Chooses one Adam step per level (the reference) or one joint step per batch.</summary>
    public EdDetectorBuilder WithStepMode(EdStepMode mode) => Set(o => EdSettings(o).Training.StepMode = mode);

    /// <summary>Sets the seed of initialisation and shuffling.</summary>
    public EdDetectorBuilder WithSeed(int seed) => Set(o => o.Seed = seed);

    /// <summary>Chooses the device: <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c>.</summary>
    public EdDetectorBuilder UseDevice(string device) => Set(o => o.Runtime.Device = device);

    /// <summary>Chooses the number format prediction computes in (<see cref="RuntimeOptions.Precision"/>): float32, the default and parity mode, or bfloat16 (CPUs with bfloat16 instructions, CUDA) or float16 (CUDA).</summary>
    public EdDetectorBuilder UsePrecision(string precision) => Set(o => o.Runtime.Precision = precision);

    /// <summary>Sets the process's intra-op CPU threads when the detector is built: null for the physical cores, 0 to keep the process's setting.</summary>
    public EdDetectorBuilder UseIntraOpThreads(int? threads) => Set(o => o.Runtime.IntraOpThreads = threads);

    /// <summary>Sends log messages to <paramref name="factory"/>.</summary>
    public EdDetectorBuilder WithLoggerFactory(ILoggerFactory factory)
    {
        loggerFactory = factory;
        return this;
    }

    /// <summary>Changes any option directly.</summary>
    public EdDetectorBuilder Configure(Action<DetectorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Set(configure);
    }

    /// <summary>Validates the configuration and builds the detector (loading the backbone weights; a download, when allowed, blocks).</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">One or more options are invalid; the message lists them all.</exception>
    /// <exception cref="InvalidOperationException">A CUDA device is asked for (<see cref="RuntimeOptions.Device"/>, <see cref="UseDevice"/>) where CUDA is not available.</exception>
    /// <exception cref="Formats.StateDictMismatchException">The backbone weights file holds another architecture or other stages; every mismatched key is listed.</exception>
    /// <exception cref="FormatException">The backbone weights file is damaged: <see cref="Formats.SafetensorsFormatException"/> or <see cref="Formats.CheckpointFormatException"/>, naming it.</exception>
    public EdDetector Build() => BuildAsync().GetAwaiter().GetResult();

    /// <summary>Validates the configuration and builds the detector, downloading pretrained weights asynchronously when allowed.</summary>
    /// <param name="cancellationToken">Cancels a download.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">One or more options are invalid; the message lists them all.</exception>
    /// <exception cref="InvalidOperationException">A CUDA device is asked for (<see cref="RuntimeOptions.Device"/>, <see cref="UseDevice"/>) where CUDA is not available.</exception>
    /// <exception cref="Formats.StateDictMismatchException">The backbone weights file holds another architecture or other stages; every mismatched key is listed.</exception>
    /// <exception cref="FormatException">The backbone weights file is damaged: <see cref="Formats.SafetensorsFormatException"/> or <see cref="Formats.CheckpointFormatException"/>, naming it.</exception>
    public async Task<EdDetector> BuildAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = DetectorOptionsValidator.Completed(options);
        var logs = loggerFactory ?? NullLoggerFactory.Instance;
        var model = await ModelComposer.BuildAsync(snapshot, cancellationToken).ConfigureAwait(false);
        var logger = logs.CreateLogger<EdDetector>();
        if (!model.Backbone.Pretrained)
        {
            Log.UntrainedBackbone(logger, model.Backbone.Architecture);
        }

        Log.DetectorBuilt(logger, snapshot.Method, model.Backbone.Architecture, model.Backbone.Source ?? "untrained", string.Join("+", snapshot.Backbone.Levels!), snapshot.Backbone.ImageHeight, snapshot.Backbone.ImageWidth, snapshot.Runtime.Device);
        return new EdDetector(model, logs);
    }

    // The ED and FOD settings, created on first use so that another method's options stay free of them.
    private static EdOptions EdSettings(DetectorOptions options) => options.Ed ??= new EdOptions();

    private EdDetectorBuilder Set(Action<DetectorOptions> change)
    {
        change(options);
        return this;
    }
}

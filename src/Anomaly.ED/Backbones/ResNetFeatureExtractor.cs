using Anomaly.ED.Formats;
using Anomaly.ED.Pretrained;
using Anomaly.ED.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>
/// A ResNet feature extractor: it builds the network only up to the deepest requested stage (no deeper
/// stages, no classifier), freezes it in eval mode and returns the requested stage outputs.
/// It owns its network and disposes it.
/// </summary>
internal sealed class ResNetFeatureExtractor : IFeatureExtractor
{
    private readonly bool[] wanted;
    private readonly ReducedCopy<ResNet> reduced;
    private bool disposed;

    /// <summary>Builds an extractor with torchvision's random initialisation; load weights before real use.</summary>
    /// <param name="architecture">The architecture, usually from <see cref="BackboneCatalog.Get"/>.</param>
    /// <param name="stages">The stages to return, any non-empty subset of <c>"stem"</c>, <c>"layer1"</c> … <c>"layer4"</c>; returned shallow to deep whatever the order given.</param>
    /// <param name="activation">Whether stage outputs are taken after (default) or before the final ReLU.</param>
    /// <exception cref="ArgumentException">A stage name is unknown or repeated, or none is given.</exception>
    public ResNetFeatureExtractor(ResNetArchitecture architecture, IEnumerable<string> stages, FeatureActivation activation = FeatureActivation.PostRelu)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(stages);
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown feature activation.");
        }

        wanted = new bool[ResNetArchitecture.StageNames.Count];
        foreach (var name in stages)
        {
            int index;
            try
            {
                index = architecture.StageIndex(name);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException(e.Message, nameof(stages), e);
            }

            if (wanted[index])
            {
                throw new ArgumentException($"Stage '{name}' is requested twice.", nameof(stages));
            }

            wanted[index] = true;
        }

        var selected = architecture.Stages.Where((_, i) => wanted[i]).ToArray();
        if (selected.Length == 0)
        {
            throw new ArgumentException($"Request at least one stage of: {string.Join(", ", ResNetArchitecture.StageNames)}.", nameof(stages));
        }

        Stages = selected;
        Activation = activation;
        Network = new ResNet(architecture, stageCount: Math.Max(1, Array.LastIndexOf(wanted, true)), includeClassifier: false);
        foreach (var parameter in Network.parameters())
        {
            parameter.requires_grad = false;
        }

        Network.eval();
        reduced = new ReducedCopy<ResNet>(type => ReducedCopy.Of(Network, () => new ResNet(architecture, Network.StageCount, includeClassifier: false), type, Device));
    }

    /// <summary>Builds an extractor for a catalog backbone by name.</summary>
    /// <param name="architecture">A name from <see cref="BackboneCatalog.Names"/>, e.g. <c>"wide_resnet50_2"</c>.</param>
    /// <param name="stages">The stages to return, e.g. <c>["layer2", "layer3"]</c>.</param>
    /// <param name="activation">Whether stage outputs are taken after (default) or before the final ReLU.</param>
    /// <returns>The extractor, with torchvision's random initialisation until weights are loaded.</returns>
    /// <exception cref="ArgumentException">The backbone or a stage name is unknown; the message lists the known ones.</exception>
    public static ResNetFeatureExtractor Create(string architecture, IEnumerable<string> stages, FeatureActivation activation = FeatureActivation.PostRelu)
        => new(BackboneCatalog.Get(architecture), stages, activation);

    /// <summary>
    /// Builds an extractor with pretrained weights, without network access: <paramref name="weights"/> is a
    /// safetensors file, or a <see cref="PretrainedCatalog"/> name that must already be in the cache.
    /// </summary>
    /// <param name="architecture">A name from <see cref="BackboneCatalog.Names"/>.</param>
    /// <param name="stages">The stages to return.</param>
    /// <param name="weights">A file path or checkpoint name; null means the architecture's default checkpoint (<c>tv_in1k</c>).</param>
    /// <param name="cache">The cache to look in; null uses the default cache folder.</param>
    /// <param name="activation">Whether stage outputs are taken after (default) or before the final ReLU.</param>
    /// <returns>The extractor with its weights loaded.</returns>
    /// <exception cref="FileNotFoundException">The file is missing or the checkpoint is not cached; the message says how to download it.</exception>
    /// <exception cref="StateDictMismatchException">The checkpoint does not fit the architecture.</exception>
    public static ResNetFeatureExtractor FromPretrained(
        string architecture, IEnumerable<string> stages, string? weights = null, PretrainedWeightsCache? cache = null, FeatureActivation activation = FeatureActivation.PostRelu)
    {
        var path = (cache ?? new PretrainedWeightsCache()).Resolve(WeightsOrDefault(architecture, weights));
        return CreateAndLoad(architecture, stages, activation, path);
    }

    /// <summary>
    /// Builds an extractor with pretrained weights like <see cref="FromPretrained"/>, downloading a missing
    /// catalog checkpoint into the cache first when <paramref name="allowDownload"/> is true.
    /// </summary>
    /// <param name="architecture">A name from <see cref="BackboneCatalog.Names"/>.</param>
    /// <param name="stages">The stages to return.</param>
    /// <param name="weights">A file path or checkpoint name; null means the architecture's default checkpoint (<c>tv_in1k</c>).</param>
    /// <param name="allowDownload">Whether a missing checkpoint may be downloaded (over HTTPS from the cache's hub address).</param>
    /// <param name="cache">The cache to use; null uses the default cache folder and the Hugging Face hub.</param>
    /// <param name="activation">Whether stage outputs are taken after (default) or before the final ReLU.</param>
    /// <param name="progress">Receives download progress, if any.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The extractor with its weights loaded.</returns>
    public static async Task<ResNetFeatureExtractor> FromPretrainedAsync(
        string architecture,
        IEnumerable<string> stages,
        string? weights = null,
        bool allowDownload = false,
        PretrainedWeightsCache? cache = null,
        FeatureActivation activation = FeatureActivation.PostRelu,
        IProgress<PretrainedDownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var resolved = WeightsOrDefault(architecture, weights);
        var path = await (cache ?? new PretrainedWeightsCache()).ResolveAsync(resolved, allowDownload, progress, cancellationToken).ConfigureAwait(false);
        return CreateAndLoad(architecture, stages, activation, path);
    }

    /// <summary>The underlying (truncated, classifier-free) network, whose state-dict names are torchvision's.</summary>
    public ResNet Network { get; }

    /// <summary>The architecture of <see cref="Network"/>.</summary>
    public ResNetArchitecture ResNetArchitecture => Network.Architecture;

    /// <inheritdoc />
    public string Architecture => Network.Architecture.Name;

    /// <inheritdoc />
    public IReadOnlyList<FeatureStage> Stages { get; }

    /// <inheritdoc />
    public FeatureActivation Activation { get; }

    /// <inheritdoc />
    public Device Device => Network.parameters().First().device;

    /// <inheritdoc />
    public IFeatureExtractor to(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        ObjectDisposedException.ThrowIf(disposed, this);
        reduced.Invalidate();
        Network.to(device);
        return this;
    }

    /// <summary>Loads torchvision or timm weights from a safetensors file (see <see cref="ResNetWeights.LoadWeights"/>).</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="prefix">Only entries starting with this prefix are considered, with it removed; null considers all.</param>
    /// <returns>This extractor.</returns>
    /// <exception cref="StateDictMismatchException">Names or shapes differ; every problem is listed and nothing is loaded.</exception>
    public ResNetFeatureExtractor LoadWeights(string path, string? prefix = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        reduced.Invalidate();
        Network.LoadWeights(path, prefix);
        return this;
    }

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, Tensor>> NamedWeights() => Network.OrderedStateDict();

    /// <inheritdoc/>
    public FeatureMaps Extract(Tensor images, ScalarType? computeType = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[0] == 0 || images.shape[2] == 0 || images.shape[3] == 0)
        {
            throw new ArgumentException($"Expected an image batch of shape (B, 3, H, W) with B, H, W > 0; got ({string.Join(", ", images.shape)}).", nameof(images));
        }

        if (images.dtype != ScalarType.Float32)
        {
            throw new ArgumentException($"Expected float32 images; got {images.dtype}.", nameof(images));
        }

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var device = Device;
        var input = images.device_type == device.type && images.device_index == device.index ? images : images.to(device);
        if (input.device_type == DeviceType.CPU)
        {
            input = ChannelsLast(input);
        }

        var maps = computeType is { } type
            ? reduced.Get(type).ForwardStages(input.to(type), wanted, Activation).Select(m => m.to(ScalarType.Float32)).ToList()
            : Network.ForwardStages(input, wanted, Activation);
        var contiguous = maps.Select(m => m.contiguous().MoveToOuterDisposeScope()).ToList();
        return new FeatureMaps(Stages, contiguous);
    }

    // The same (B, C, H, W) images stored channels last: libtorch's CPU convolutions then run oneDNN's NHWC kernels without
    // reordering every layer's input and output, and every later layer keeps the format; the contiguous batch took
    // 1.2-1.5 times as long from the stem to layer3 (BackboneBenchmarks). Sums are taken in another order, well within the
    // backbone's golden tolerance.
    private static Tensor ChannelsLast(Tensor images) => images.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    private static string WeightsOrDefault(string architecture, string? weights)
    {
        var resolvedArchitecture = BackboneCatalog.Get(architecture).Name;
        if (weights is null)
        {
            return resolvedArchitecture;
        }

        if (!File.Exists(weights) && PretrainedCatalog.TryGet(weights, out var checkpoint) && checkpoint.Architecture != resolvedArchitecture)
        {
            throw new ArgumentException($"Checkpoint '{checkpoint.Name}' is for {checkpoint.Architecture}, not {resolvedArchitecture}.", nameof(weights));
        }

        return weights;
    }

    private static ResNetFeatureExtractor CreateAndLoad(string architecture, IEnumerable<string> stages, FeatureActivation activation, string path)
    {
        var extractor = Create(architecture, stages, activation);
        try
        {
            return extractor.LoadWeights(path);
        }
        catch
        {
            extractor.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the network.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            reduced.Dispose();
            Network.Dispose();
        }
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>
/// A ResNet feature extractor: it builds the network only up to the deepest requested stage (no deeper
/// stages, no classifier), freezes it in eval mode and returns the requested stage outputs.
/// It owns its network and disposes it.
/// </summary>
public sealed class ResNetFeatureExtractor : IFeatureExtractor
{
    private readonly bool[] wanted;
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
    }

    /// <summary>Builds an extractor for a catalog backbone by name.</summary>
    /// <param name="architecture">A name from <see cref="BackboneCatalog.Names"/>, e.g. <c>"wide_resnet50_2"</c>.</param>
    /// <param name="stages">The stages to return, e.g. <c>["layer2", "layer3"]</c>.</param>
    /// <param name="activation">Whether stage outputs are taken after (default) or before the final ReLU.</param>
    /// <returns>The extractor, with torchvision's random initialisation until weights are loaded.</returns>
    /// <exception cref="ArgumentException">The backbone or a stage name is unknown; the message lists the known ones.</exception>
    public static ResNetFeatureExtractor Create(string architecture, IEnumerable<string> stages, FeatureActivation activation = FeatureActivation.PostRelu)
        => new(BackboneCatalog.Get(architecture), stages, activation);

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
        Network.to(device);
        return this;
    }

    /// <inheritdoc />
    public FeatureMaps Extract(Tensor images)
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
        var input = images.device == device ? images : images.to(device);
        var maps = Network.ForwardStages(input, wanted, Activation);
        foreach (var map in maps)
        {
            map.MoveToOuterDisposeScope();
        }

        return new FeatureMaps(Stages, maps);
    }

    /// <summary>Disposes the network.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            Network.Dispose();
        }
    }
}

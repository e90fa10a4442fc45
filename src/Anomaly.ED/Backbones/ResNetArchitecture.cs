namespace Anomaly.ED.Backbones;

/// <summary>
/// The shape of one torchvision ResNet: block kind, blocks per stage and bottleneck width, and from
/// them the channels and stride of every stage. Instances come from <see cref="BackboneCatalog"/>.
/// </summary>
internal sealed class ResNetArchitecture
{
    /// <summary>The stage names, shallow to deep, that a ResNet feature extractor can return.</summary>
    public static IReadOnlyList<string> StageNames { get; } = ["stem", "layer1", "layer2", "layer3", "layer4"];

    private readonly int[] blockCounts;

    /// <summary>Creates an architecture description; use <see cref="BackboneCatalog.Get"/> for the torchvision ones.</summary>
    /// <param name="name">The catalog name, e.g. <c>"wide_resnet50_2"</c>.</param>
    /// <param name="block">The residual block kind.</param>
    /// <param name="blockCounts">The number of blocks in layer1 … layer4 (four positive numbers).</param>
    /// <param name="widthPerGroup">The bottleneck base width: 64 for ResNets, 128 for wide ResNets (Basic blocks require 64).</param>
    public ResNetArchitecture(string name, ResNetBlockKind block, IReadOnlyList<int> blockCounts, int widthPerGroup = 64)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(blockCounts);
        if (blockCounts.Count != 4 || blockCounts.Any(c => c <= 0))
        {
            throw new ArgumentException($"A ResNet has four stages with at least one block each; got [{string.Join(", ", blockCounts)}].", nameof(blockCounts));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(widthPerGroup);
        if (block == ResNetBlockKind.Basic && widthPerGroup != 64)
        {
            throw new ArgumentException($"Basic blocks support only widthPerGroup 64 (as in torchvision); got {widthPerGroup}.", nameof(widthPerGroup));
        }

        Name = name;
        Block = block;
        this.blockCounts = [.. blockCounts];
        WidthPerGroup = widthPerGroup;
        Expansion = block == ResNetBlockKind.Basic ? 1 : 4;

        var stages = new List<FeatureStage> { new("stem", 64, 4) };
        for (var i = 0; i < 4; i++)
        {
            stages.Add(new FeatureStage($"layer{i + 1}", StagePlanes(i) * Expansion, 4 << i));
        }

        Stages = stages;
    }

    /// <summary>The catalog name, e.g. <c>"resnet18"</c>.</summary>
    public string Name { get; }

    /// <summary>The residual block kind.</summary>
    public ResNetBlockKind Block { get; }

    /// <summary>The number of blocks in layer1 … layer4.</summary>
    public IReadOnlyList<int> BlockCounts => blockCounts;

    /// <summary>The bottleneck base width (64, or 128 for wide ResNets).</summary>
    public int WidthPerGroup { get; }

    /// <summary>The ratio of a block's output channels to its planes (1 for Basic, 4 for Bottleneck).</summary>
    public int Expansion { get; }

    /// <summary>Every stage this architecture offers, shallow to deep: stem, layer1 … layer4.</summary>
    public IReadOnlyList<FeatureStage> Stages { get; }

    /// <summary>The number of features entering the classifier <c>fc</c> (the channels of layer4).</summary>
    public int ClassifierInputs => Stages[^1].Channels;

    /// <summary>Returns the stage with the given name.</summary>
    /// <param name="name">A stage name: <c>"stem"</c> or <c>"layer1"</c> … <c>"layer4"</c>.</param>
    /// <exception cref="ArgumentException">The name is not a stage of a ResNet; the message lists the valid names.</exception>
    public FeatureStage Stage(string name) => Stages[StageIndex(name)];

    /// <summary>The position of a stage in <see cref="Stages"/> (0 for the stem, 1 … 4 for layer1 … layer4).</summary>
    /// <param name="name">A stage name: <c>"stem"</c> or <c>"layer1"</c> … <c>"layer4"</c>.</param>
    /// <exception cref="ArgumentException">The name is not a stage of a ResNet; the message lists the valid names.</exception>
    public int StageIndex(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (var i = 0; i < StageNames.Count; i++)
        {
            if (string.Equals(StageNames[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentException($"'{name}' is not a stage of {Name}; the stages are: {string.Join(", ", StageNames)}.", nameof(name));
    }

    /// <summary>The planes of residual stage <paramref name="stage"/> (0-based): 64, 128, 256, 512.</summary>
    internal static int StagePlanes(int stage) => 64 << stage;

    /// <summary>The inner width of a bottleneck with the given planes (torchvision: planes * base_width / 64).</summary>
    internal int BottleneckWidth(int planes) => planes * WidthPerGroup / 64;

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Block}, blocks [{string.Join(", ", blockCounts)}], width {WidthPerGroup})";
}

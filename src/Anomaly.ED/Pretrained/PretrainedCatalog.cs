namespace Anomaly.ED.Pretrained;

/// <summary>
/// Well-known ImageNet checkpoints for the catalog backbones: timm's safetensors copies of torchvision's weights on the
/// Hugging Face hub, and <c>resnet18.mlnet_in1k</c>, ML.NET's ImageNet ResNet18 from the NuGet package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (no download; stem and layer1 to layer3 only).
/// </summary>
internal static class PretrainedCatalog
{
    private static readonly PretrainedCheckpoint[] All =
    [
        Timm("resnet18", "tv_in1k"),
        Timm("resnet34", "tv_in1k"),
        Timm("resnet50", "tv_in1k"),
        Timm("resnet50", "tv2_in1k"),
        Timm("resnet101", "tv_in1k"),
        Timm("resnet101", "tv2_in1k"),
        Timm("resnet152", "tv_in1k"),
        Timm("resnet152", "tv2_in1k"),
        Timm("wide_resnet50_2", "tv_in1k"),
        Timm("wide_resnet50_2", "tv2_in1k"),
        Timm("wide_resnet101_2", "tv_in1k"),
        Timm("wide_resnet101_2", "tv2_in1k"),
        new(MlNetResNet18Package.CheckpointName, "resnet18", MlNetResNet18Package.Network),
    ];

    /// <summary>The checkpoint names, e.g. <c>"wide_resnet50_2.tv_in1k"</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(c => c.Name)];

    /// <summary>Every known checkpoint.</summary>
    public static IReadOnlyList<PretrainedCheckpoint> Checkpoints => All;

    /// <summary>
    /// Returns a checkpoint by name (case-insensitive). A bare architecture name such as
    /// <c>"wide_resnet50_2"</c> gives its default: torchvision's original ImageNet weights (<c>tv_in1k</c>),
    /// which are what ED, FOD and HETMM were published with.
    /// </summary>
    /// <param name="name">A checkpoint or architecture name.</param>
    /// <exception cref="ArgumentException">The name is unknown; the message lists every known checkpoint.</exception>
    public static PretrainedCheckpoint Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryGet(name, out var checkpoint)
            ? checkpoint
            : throw new ArgumentException($"Unknown pretrained checkpoint '{name}'. Known checkpoints: {string.Join(", ", Names)} (or an architecture name for its tv_in1k weights).", nameof(name));
    }

    /// <summary>Looks up a checkpoint, or an architecture's default checkpoint, by name (case-insensitive).</summary>
    /// <param name="name">A checkpoint or architecture name.</param>
    /// <param name="checkpoint">The checkpoint, when found.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryGet(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PretrainedCheckpoint? checkpoint)
    {
        var key = name?.Trim();
        checkpoint = All.FirstOrDefault(c => string.Equals(c.Name, key, StringComparison.OrdinalIgnoreCase))
            ?? All.FirstOrDefault(c => string.Equals(c.Name, key + ".tv_in1k", StringComparison.OrdinalIgnoreCase));
        return checkpoint is not null;
    }

    private static PretrainedCheckpoint Timm(string architecture, string tag)
        => new($"{architecture}.{tag}", architecture, $"timm/{architecture}.{tag}");
}

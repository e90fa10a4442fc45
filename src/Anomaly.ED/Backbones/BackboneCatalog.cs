namespace Anomaly.ED.Backbones;

/// <summary>The backbones known by name: the torchvision ResNet family, with its parameter names and stage sizes.</summary>
internal static class BackboneCatalog
{
    private static readonly ResNetArchitecture[] All =
    [
        new("resnet18", ResNetBlockKind.Basic, [2, 2, 2, 2]),
        new("resnet34", ResNetBlockKind.Basic, [3, 4, 6, 3]),
        new("resnet50", ResNetBlockKind.Bottleneck, [3, 4, 6, 3]),
        new("resnet101", ResNetBlockKind.Bottleneck, [3, 4, 23, 3]),
        new("resnet152", ResNetBlockKind.Bottleneck, [3, 8, 36, 3]),
        new("wide_resnet50_2", ResNetBlockKind.Bottleneck, [3, 4, 6, 3], widthPerGroup: 128),
        new("wide_resnet101_2", ResNetBlockKind.Bottleneck, [3, 4, 23, 3], widthPerGroup: 128),
    ];

    /// <summary>The backbone ED and FOD use by default.</summary>
    public const string DefaultName = "wide_resnet50_2";

    /// <summary>The known backbone names, in catalog order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(a => a.Name)];

    /// <summary>Every known architecture, in catalog order.</summary>
    internal static IReadOnlyList<ResNetArchitecture> Architectures => All;

    /// <summary>Returns the architecture with the given name (case-insensitive).</summary>
    /// <param name="name">A backbone name such as <c>"wide_resnet50_2"</c>.</param>
    /// <exception cref="ArgumentException">The name is unknown; the message lists every known name.</exception>
    internal static ResNetArchitecture Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryGet(name, out var architecture)
            ? architecture
            : throw new ArgumentException($"Unknown backbone '{name}'. Known backbones: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Looks up an architecture by name (case-insensitive, surrounding spaces ignored).</summary>
    /// <param name="name">A backbone name.</param>
    /// <param name="architecture">The architecture, when found.</param>
    /// <returns>Whether the name is known.</returns>
    internal static bool TryGet(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ResNetArchitecture? architecture)
    {
        var key = name?.Trim();
        architecture = All.FirstOrDefault(a => string.Equals(a.Name, key, StringComparison.OrdinalIgnoreCase));
        return architecture is not null;
    }
}

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>The reference configuration of HETMM (NarcissusEx/HETMM, configs); every default of <see cref="HetmmOptions"/> comes from here.</summary>
internal static class HetmmDefaults
{
    /// <summary>The backbone (the reference's Wide_ResNet101_2).</summary>
    public const string Backbone = "wide_resnet101_2";

    /// <summary>The preset for data other than the MVTec AD categories.</summary>
    public const string Preset = "default";

    /// <summary>The bound on the matching's temporaries, in megabytes.</summary>
    public const int MatchingMemoryMegabytes = 16;

    /// <summary>The backbone stages the levels read.</summary>
    public static IReadOnlyList<string> Levels { get; } = ["layer1", "layer2", "layer3"];
}

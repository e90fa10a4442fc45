namespace Anomaly.ED.Methods.Hetmm;

/// <summary>
/// HETMM's matching and post-processing parameters by name: the 15 MVTec AD categories of the reference's
/// <c>configs/MVTec_AD.yaml</c> (NarcissusEx/HETMM), verbatim, and <see cref="Default"/> for other data.
/// </summary>
/// <remarks>
/// A parameter string has the reference's syntax: per level <c>Ln:FxB_a=alpha_l=lambda</c> (forward window F, backward
/// window B), levels separated by <c>|</c>, then <c>;</c> and the post-processing per metric
/// (<c>img_AUC</c>, <c>pix_AUC</c>, <c>PRO</c>), each <c>clean</c>, <c>blur_s=sigma_k=size</c> or <c>mp_k=size</c>.
/// </remarks>
public static class HetmmPresets
{
    /// <summary>The name of the preset for data that is not one of the MVTec AD categories.</summary>
    public const string Default = "default";

    // The default is not tuned on any dataset: it takes, per level, windows and weights in the middle of the 15 category
    // presets (forward windows 5-13 on layer1, 5-9 on layer2, 3-7 on layer3; alpha 0.3-0.7; lambda falling with depth),
    // a moderate blur of the pixel map (the most common choice among the categories) and the plain maximum as image score.
    private static readonly Dictionary<string, string> Presets = new(StringComparer.OrdinalIgnoreCase)
    {
        [Default] = "L1:9x3_a=0.5_l=1|L2:7x3_a=0.5_l=0.8|L3:7x3_a=0.3_l=0.5;img_AUC:clean|pix_AUC:blur_s=4.0_k=33|PRO:clean",
        ["bottle"] = "L1:5x3_a=0.3_l=1|L2:5x3_a=0.3_l=1|L3:7x3_a=0.3_l=0.8;img_AUC:clean|pix_AUC:blur_s=4.1_k=39|PRO:clean",
        ["cable"] = "L1:13x7_a=0.7_l=1|L2:5x5_a=0.7_l=0.8|L3:7x1_a=0.3_l=0.8;img_AUC:blur_s=5.5_k=39|pix_AUC:blur_s=8.600000000000001_k=61|PRO:clean",
        ["capsule"] = "L1:13x7_a=0.5_l=1|L2:9x5_a=0.5_l=0.5|L3:7x3_a=0.3_l=0.3;img_AUC:clean|pix_AUC:blur_s=7.800000000000001_k=61|PRO:blur_s=3.6_k=11",
        ["carpet"] = "L1:7x3_a=0.7_l=1|L2:9x1_a=0.3_l=0.8|L3:3x1_a=0.3_l=0.5;img_AUC:blur_s=5.5_k=35|pix_AUC:clean|PRO:blur_s=3.0_k=11",
        ["grid"] = "L1:13x3_a=0.7_l=1|L2:9x1_a=0.7_l=0.5|L3:7x1_a=0.3_l=0.3;img_AUC:clean|pix_AUC:clean|PRO:clean",
        ["hazelnut"] = "L1:13x3_a=0.7_l=1|L2:9x5_a=0.7_l=0.5|L3:7x3_a=0.3_l=0.8;img_AUC:clean|pix_AUC:clean|PRO:clean",
        ["leather"] = "L1:11x3_a=0.5_l=1|L2:9x3_a=0.3_l=1|L3:7x3_a=0.3_l=0.3;img_AUC:clean|pix_AUC:clean|PRO:clean",
        ["metal_nut"] = "L1:13x5_a=0.5_l=1|L2:9x5_a=0.3_l=0.5|L3:7x3_a=0.3_l=0.8;img_AUC:clean|pix_AUC:blur_s=15.0_k=61|PRO:clean",
        ["pill"] = "L1:11x5_a=0.5_l=1|L2:9x1_a=0.7_l=0.5|L3:7x1_a=0.3_l=0.5;img_AUC:mp_k=25|pix_AUC:blur_s=15.0_k=61|PRO:clean",
        ["screw"] = "L1:5x3_a=0.5_l=1|L2:5x3_a=0.7_l=0.8|L3:7x3_a=0.3_l=0.3;img_AUC:clean|pix_AUC:blur_s=3.3_k=45|PRO:blur_s=3.1_k=17",
        ["tile"] = "L1:13x7_a=0.3_l=1|L2:7x5_a=0.3_l=0.5|L3:5x3_a=0.3_l=0.5;img_AUC:clean|pix_AUC:clean|PRO:clean",
        ["toothbrush"] = "L1:13x3_a=0.3_l=1|L2:9x5_a=0.3_l=0.8|L3:7x3_a=0.3_l=0.5;img_AUC:clean|pix_AUC:blur_s=3.0_k=11|PRO:clean",
        ["transistor"] = "L1:13x5_a=0.3_l=1|L2:5x3_a=0.5_l=0.5|L3:5x1_a=0.3_l=0.8;img_AUC:blur_s=5.1_k=31|pix_AUC:blur_s=15.0_k=61|PRO:blur_s=6.6_k=39",
        ["wood"] = "L1:7x3_a=0.7_l=1|L2:5x3_a=0.7_l=0.8|L3:7x1_a=0.7_l=0.3;img_AUC:clean|pix_AUC:clean|PRO:clean",
        ["zipper"] = "L1:13x5_a=0.3_l=1|L2:7x5_a=0.7_l=1|L3:7x1_a=0.7_l=0.3;img_AUC:mp_k=11|pix_AUC:blur_s=10.4_k=61|PRO:blur_s=6.0_k=31",
    };

    /// <summary>Every preset name: <see cref="Default"/> and the 15 MVTec AD categories.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Presets.Keys];

    /// <summary>The parameter string of a preset (names are case-insensitive).</summary>
    /// <param name="name">A preset name, see <see cref="Names"/>.</param>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the known names.</exception>
    public static string Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryGet(name, out var parameters)
            ? parameters
            : throw new ArgumentException($"Unknown HETMM preset '{name}'. Known presets: {string.Join(", ", Names)}.", nameof(name));
    }

    internal static bool TryGet(string name, out string parameters) => Presets.TryGetValue(name, out parameters!);
}

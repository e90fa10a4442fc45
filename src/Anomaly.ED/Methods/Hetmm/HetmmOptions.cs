namespace Anomaly.ED.Methods.Hetmm;

/// <summary>The settings of the HETMM method (<see cref="DetectorOptions.Hetmm"/>: template matching, no training); saved in the model file.</summary>
/// <remarks>Its default backbone is the reference's, wide_resnet101_2 with stages layer1 to layer3; its maps are post-processed as its parameters say.</remarks>
public sealed class HetmmOptions
{
    /// <summary>The matching and post-processing preset: an MVTec AD category of the reference configuration, or <c>"default"</c> for other data (see <c>HetmmPresets.Names</c>).</summary>
    /// <value>The default value is <c>"default"</c>.</value>
    public string Preset { get; set; } = HetmmDefaults.Preset;

    /// <summary>Matching and post-processing parameters in the reference's syntax (for example
    /// <c>"L1:5x3_a=0.3_l=1|L2:5x3_a=0.3_l=1|L3:7x3_a=0.3_l=0.8;img_AUC:clean|pix_AUC:blur_s=4.1_k=39|PRO:clean"</c>),
    /// one level per entry of <see cref="BackboneOptions.Levels"/>; when set, they replace <see cref="Preset"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Parameters { get; set; }

    /// <summary>The number of templates kept per pixel position by the tiny-template-set selection (PTS: cluster medoids plus hard normal examples); null keeps every normal image as a template.</summary>
    /// <value>The default value is <see langword="null"/> (the full set).</value>
    public int? TemplateSheets { get; set; }

    /// <summary>Whether templates are stored in float16, halving their memory (they are matched in float32).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool HalfPrecisionTemplates { get; set; }

    /// <summary>Whether images are normalised with the reference's standard deviations (0.229, 0.256, 0.225); otherwise with torchvision's (0.229, 0.224, 0.225).</summary>
    /// <value>The default value is <see langword="true"/> (parity with the reference, whose configuration has 0.256 for green).</value>
    public bool ReferenceNormalization { get; set; } = true;

    /// <summary>The memory bound, in megabytes, of the matching's temporaries per level (work is tiled over pixels and templates to stay below it).</summary>
    /// <value>The default value is 16: tiles small enough for the allocator to reuse its memory, where larger ones are mapped
    /// afresh for every tile and pay a page fault for every 4 KB page.</value>
    public int MatchingMemoryMegabytes { get; set; } = HetmmDefaults.MatchingMemoryMegabytes;

    internal HetmmOptions Clone() => (HetmmOptions)MemberwiseClone();
}

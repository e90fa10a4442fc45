namespace Anomaly.ED;

/// <summary>Which frozen backbone a detector reads, where its weights come from, the stages it reads and the input geometry; saved in the model file.</summary>
public sealed class BackboneOptions
{
    /// <summary>The backbone architecture name (see <c>BackboneCatalog.Names</c>); null for the method's reference backbone.</summary>
    /// <value>The default value is <see langword="null"/>: wide_resnet50_2 for ED and FOD, wide_resnet101_2 for HETMM.</value>
    public string? Name { get; set; }

    /// <summary>A local safetensors file with the backbone's weights (torchvision or timm names); null to use <see cref="PretrainedCheckpoint"/> or untrained weights.</summary>
    public string? WeightsPath { get; set; }

    /// <summary>A pretrained checkpoint id from the catalog (e.g. <c>"wide_resnet50_2.tv_in1k"</c>, see <c>PretrainedCatalog.Names</c>), looked up in the weights cache; null for none.</summary>
    public string? PretrainedCheckpoint { get; set; }

    /// <summary>Whether running with untrained (randomly initialised, seeded) backbone weights is allowed when no weights are given.</summary>
    /// <value>The default value is <see langword="false"/>: a detector without backbone weights is refused, because its accuracy is poor.</value>
    public bool AllowUntrained { get; set; }

    /// <summary>The backbone stages read by the method, shallow to deep, each one level of the anomaly map; null for the method's reference stages.</summary>
    /// <value>The default value is <see langword="null"/>: <c>["layer2", "layer3"]</c> for ED and FOD, <c>["layer1", "layer2", "layer3"]</c> for HETMM.</value>
    public IList<string>? Levels { get; set; }

    /// <summary>Input image height in pixels; images are resized to it.</summary>
    /// <value>The default value is 256.</value>
    public int ImageHeight { get; set; } = DetectorDefaults.ImageSize;

    /// <summary>Input image width in pixels; images are resized to it.</summary>
    /// <value>The default value is 256.</value>
    public int ImageWidth { get; set; } = DetectorDefaults.ImageSize;

    /// <summary>Whether images keep their aspect ratio (shorter side resized, then centre crop), as the reference's BTAD and MVTec3D readers; otherwise both sides are resized, as its MVTec AD reader.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool KeepAspectRatio { get; set; }

    internal BackboneOptions Clone()
    {
        var copy = (BackboneOptions)MemberwiseClone();
        copy.Levels = Levels is null ? null : [.. Levels];
        return copy;
    }
}

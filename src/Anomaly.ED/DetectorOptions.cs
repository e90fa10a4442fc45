using System.Text.Json.Serialization;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Methods.Hetmm;

namespace Anomaly.ED;

/// <summary>
/// The settings of a detector: the method, the backbone, the seed and the chosen method's own settings (<see cref="Ed"/>
/// for ED and FOD, <see cref="Hetmm"/> for HETMM), bindable from configuration (sections <c>Backbone</c>, <c>Ed</c>,
/// <c>Hetmm</c>, <c>Runtime</c>). Unset values take the chosen method's reference configuration.
/// </summary>
/// <remarks>Validated when a detector is built or, through dependency injection, at start: settings of a method other than
/// <see cref="Method"/> are an error rather than silently ignored. A model file keeps everything except <see cref="Runtime"/>,
/// which is given again at load.</remarks>
public sealed class DetectorOptions
{
    /// <summary>The method the detector runs.</summary>
    /// <value>The default value is <see cref="DetectorMethod.Ed"/>.</value>
    public DetectorMethod Method { get; set; } = DetectorMethod.Ed;

    /// <summary>The backbone, its weights, the stages it gives the method and the input size.</summary>
    public BackboneOptions Backbone { get; set; } = new();

    /// <summary>Seed of parameter initialisation, untrained backbone weights and shuffling; training on CPU with the same seed is reproducible.</summary>
    /// <value>The default value is 3407.</value>
    public int Seed { get; set; } = DetectorDefaults.Seed;

    /// <summary>The settings of ED and FOD; null for their reference configuration. Must stay null for another method.</summary>
    public EdOptions? Ed { get; set; }

    /// <summary>The settings of HETMM; null for its reference configuration. Must stay null for another method.</summary>
    public HetmmOptions? Hetmm { get; set; }

    /// <summary>Where the detector runs and how it may fetch weights; not saved in model files.</summary>
    [JsonIgnore]
    public RuntimeOptions Runtime { get; set; } = new();

    /// <summary>Returns a deep copy of these options.</summary>
    public DetectorOptions Clone() => new()
    {
        Method = Method,
        Backbone = Backbone.Clone(),
        Seed = Seed,
        Ed = Ed?.Clone(),
        Hetmm = Hetmm?.Clone(),
        Runtime = Runtime.Clone(),
    };
}

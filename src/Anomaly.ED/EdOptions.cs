using System.Text.Json.Serialization;

namespace Anomaly.ED;

/// <summary>
/// Every setting of a detector, grouped by concern and bindable from configuration (sections <c>Backbone</c>,
/// <c>Network</c>, <c>Training</c>, <c>Hetmm</c>, <c>Runtime</c>); the defaults reproduce the reference ED configuration.
/// </summary>
/// <remarks>Validated by <see cref="EdOptionsValidator"/> when a detector is built or, through dependency injection, at start.
/// A model file keeps everything except <see cref="Runtime"/>, which is given again at load.</remarks>
public sealed class EdOptions
{
    /// <summary>The method the detector runs.</summary>
    /// <value>The default value is <see cref="DetectorMethod.Ed"/>.</value>
    public DetectorMethod Method { get; set; } = DetectorMethod.Ed;

    /// <summary>The backbone, its weights, the stages it gives the method and the input size.</summary>
    public BackboneOptions Backbone { get; set; } = new();

    /// <summary>The per-level transformers of ED and FOD.</summary>
    public EdNetworkOptions Network { get; set; } = new();

    /// <summary>The optimisation of ED and FOD.</summary>
    public TrainingOptions Training { get; set; } = new();

    /// <summary>The HETMM method (used when <see cref="Method"/> is <see cref="DetectorMethod.Hetmm"/>).</summary>
    public HetmmOptions Hetmm { get; set; } = new();

    /// <summary>Standard deviation of the Gaussian smoothing of anomaly maps, in pixels; 0 turns smoothing off (ED and FOD; HETMM post-processes as its parameters say).</summary>
    /// <value>The default value is 4.</value>
    public double SmoothingSigma { get; set; } = EdDefaults.SmoothingSigma;

    /// <summary>Seed of parameter initialisation, untrained backbone weights and shuffling; training on CPU with the same seed is reproducible.</summary>
    /// <value>The default value is 3407.</value>
    public int Seed { get; set; } = EdDefaults.Seed;

    /// <summary>Where the detector runs and how it may fetch weights; not saved in model files.</summary>
    [JsonIgnore]
    public RuntimeOptions Runtime { get; set; } = new();

    /// <summary>Returns a deep copy of these options.</summary>
    public EdOptions Clone() => new()
    {
        Method = Method,
        Backbone = Backbone.Clone(),
        Network = Network.Clone(),
        Training = Training.Clone(),
        Hetmm = Hetmm.Clone(),
        SmoothingSigma = SmoothingSigma,
        Seed = Seed,
        Runtime = Runtime.Clone(),
    };
}

namespace Anomaly.ED.Methods.Ed;

/// <summary>The settings of the ED and FOD methods (<see cref="DetectorOptions.Ed"/>): their per-level transformers, their training and the smoothing of their maps; saved in the model file.</summary>
public sealed class EdOptions
{
    /// <summary>The per-level transformers.</summary>
    public EdNetworkOptions Network { get; set; } = new();

    /// <summary>The optimisation.</summary>
    public EdTrainingOptions Training { get; set; } = new();

    /// <summary>Standard deviation of the Gaussian smoothing of anomaly maps, in pixels; 0 turns smoothing off.</summary>
    /// <value>The default value is 4.</value>
    public double SmoothingSigma { get; set; } = EdDefaults.SmoothingSigma;

    internal EdOptions Clone() => new() { Network = Network.Clone(), Training = Training.Clone(), SmoothingSigma = SmoothingSigma };
}

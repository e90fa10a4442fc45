using Anomaly.ED.Methods.Ed.Training;

namespace Anomaly.ED.Methods.Ed;

/// <summary>How the trained methods (ED, FOD) are optimised; saved in the model file so that a checkpoint resumes with the same schedule.</summary>
public sealed class EdTrainingOptions
{
    /// <summary>Training epochs.</summary>
    /// <value>The default value is 100.</value>
    public int Epochs { get; set; } = EdDefaults.Epochs;

    /// <summary>Training batch size.</summary>
    /// <value>The default value is 1.</value>
    public int BatchSize { get; set; } = EdDefaults.BatchSize;

    /// <summary>Adam learning rate.</summary>
    /// <value>The default value is 1e-4.</value>
    public double LearningRate { get; set; } = EdDefaults.LearningRate;

    /// <summary>Weight of the correlation terms of the minimax objective.</summary>
    /// <value>The default value is 0.5.</value>
    public double Lambda1 { get; set; } = EdDefaults.Lambda1;

    /// <summary>Weight of the entropy terms of the minimax objective.</summary>
    /// <value>The default value is 0.5.</value>
    public double Lambda2 { get; set; } = EdDefaults.Lambda2;

    /// <summary>How a batch updates the levels: one Adam step per level as the reference trainer, or one joint step.</summary>
    /// <value>The default value is <see cref="EdStepMode.PerLevel"/>.</value>
    public EdStepMode StepMode { get; set; } = EdStepMode.PerLevel;

    internal EdTrainingOptions Clone() => (EdTrainingOptions)MemberwiseClone();
}

namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>Hyper-parameters of the ED optimisation step; the defaults are the reference ones.</summary>
internal sealed class EdOptimizationOptions
{
    /// <summary>Adam learning rate.</summary>
    /// <value>The default value is 1e-4.</value>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>Adam beta1.</summary>
    /// <value>The default value is 0.9.</value>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Adam beta2.</summary>
    /// <value>The default value is 0.999.</value>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Adam epsilon.</summary>
    /// <value>The default value is 1e-8.</value>
    public double Epsilon { get; set; } = 1e-8;

    /// <summary>Weight of the association (KL) terms.</summary>
    /// <value>The default value is 0.5.</value>
    public double Lambda1 { get; set; } = EdObjective.DefaultLambda;

    /// <summary>Weight of the entropy terms.</summary>
    /// <value>The default value is 0.5.</value>
    public double Lambda2 { get; set; } = EdObjective.DefaultLambda;

    /// <summary>How the levels are stepped.</summary>
    /// <value>The default value is <see cref="EdStepMode.PerLevel"/> (the reference trainer).</value>
    public EdStepMode Mode { get; set; } = EdStepMode.PerLevel;

    /// <summary>Checks every value and throws one exception listing all problems.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names each option and its value.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
        {
            problems.Add(FormattableString.Invariant($"{nameof(LearningRate)} must be positive and finite (was {LearningRate})."));
        }

        if (!(Beta1 >= 0 && Beta1 < 1))
        {
            problems.Add(FormattableString.Invariant($"{nameof(Beta1)} must be in [0, 1) (was {Beta1})."));
        }

        if (!(Beta2 >= 0 && Beta2 < 1))
        {
            problems.Add(FormattableString.Invariant($"{nameof(Beta2)} must be in [0, 1) (was {Beta2})."));
        }

        if (!(Epsilon > 0))
        {
            problems.Add(FormattableString.Invariant($"{nameof(Epsilon)} must be positive (was {Epsilon})."));
        }

        if (!double.IsFinite(Lambda1))
        {
            problems.Add(FormattableString.Invariant($"{nameof(Lambda1)} must be finite (was {Lambda1})."));
        }

        if (!double.IsFinite(Lambda2))
        {
            problems.Add(FormattableString.Invariant($"{nameof(Lambda2)} must be finite (was {Lambda2})."));
        }

        if (!Enum.IsDefined(Mode))
        {
            problems.Add($"{nameof(Mode)} has an unknown value ({(int)Mode}).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid ED optimisation options: " + string.Join(" ", problems));
        }
    }
}

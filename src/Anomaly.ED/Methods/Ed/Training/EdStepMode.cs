namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>How one training batch updates the parameters of several levels.</summary>
public enum EdStepMode
{
    /// <summary>
    /// The reference trainer: for each level in turn, zero all gradients, back-propagate that level's loss1 (keeping the
    /// graph) and loss2, and take an Adam step over all levels' parameters. Gradients are zeroed, not cleared, so a level
    /// whose gradient is zero is still moved by its Adam moments.
    /// </summary>
    PerLevel,

    /// <summary>Zero the gradients once, back-propagate the sums over the levels of loss1 and of loss2, and take one Adam step.</summary>
    Joint,
}

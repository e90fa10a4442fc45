using System.Globalization;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>
/// One minimax optimisation step of the ED networks of all levels on one batch, with one Adam optimiser over all their
/// parameters (PyTorch's Adam: bias-corrected, no weight decay). Each parameter receives the sum of the gradients of
/// loss1 and loss2, as in the reference (which back-propagates them one after the other). The optimiser state
/// persists across calls.
/// </summary>
internal sealed class EdOptimizationStep : IDisposable
{
    private readonly EdLevelNetwork[] levels;
    private readonly EdTrainingOptions options;
    private readonly Adam optimizer;

    /// <summary>Creates the step for the given levels (in level order).</summary>
    /// <param name="levels">The level networks; their parameters are optimised together.</param>
    /// <param name="options">Learning rate, loss weights and step mode (validated with the detector's options); null for the reference ones. They are copied.
    /// Adam's betas and epsilon are PyTorch's defaults, which the reference keeps.</param>
    /// <exception cref="ArgumentException">No level was given.</exception>
    public EdOptimizationStep(IReadOnlyList<EdLevelNetwork> levels, EdTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Count == 0)
        {
            throw new ArgumentException("At least one level network is needed.", nameof(levels));
        }

        this.options = (options ?? new EdTrainingOptions()).Clone();
        this.levels = levels.ToArray();
        optimizer = optim.Adam(this.levels.SelectMany(l => l.parameters()), this.options.LearningRate, EdDefaults.Beta1, EdDefaults.Beta2, EdDefaults.Epsilon);
    }

    /// <summary>Runs one step: switches every level to training mode, computes the losses and updates the parameters.</summary>
    /// <param name="tokensPerLevel">Per level, the input tokens X (B, L, C).</param>
    /// <returns>Per level, the losses computed before the update.</returns>
    /// <exception cref="ArgumentException">The number of token tensors differs from the number of levels.</exception>
    public IReadOnlyList<EdLossValues> Step(IReadOnlyList<Tensor> tokensPerLevel)
    {
        ArgumentNullException.ThrowIfNull(tokensPerLevel);
        if (tokensPerLevel.Count != levels.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Expected token tensors for {levels.Length} levels, got {tokensPerLevel.Count}."),
                nameof(tokensPerLevel));
        }

        foreach (var level in levels)
        {
            level.train();
        }

        return options.StepMode == EdStepMode.PerLevel ? StepPerLevel(tokensPerLevel) : StepJoint(tokensPerLevel);
    }

    /// <inheritdoc/>
    public void Dispose() => optimizer.Dispose();

    /// <summary>The optimiser's moments and step counts, serialised for a checkpoint.</summary>
    internal byte[] SaveOptimizerState()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            optimizer.save_state_dict(writer);
        }

        return stream.ToArray();
    }

    /// <summary>Restores the optimiser state written by <see cref="SaveOptimizerState"/>.</summary>
    internal void LoadOptimizerState(byte[] state)
    {
        using var reader = new BinaryReader(new MemoryStream(state));
        optimizer.load_state_dict(reader);

        // In an uninterrupted run every parameter holds a zeroed (not absent) gradient after its first step, and in
        // per-level mode Adam then moves the other levels by their moments; give the resumed run the same gradients.
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        levels.SelectMany(l => l.parameters()).Select(p => p.sum()).Aggregate((a, b) => a + b).mul(0).backward();
    }

    private EdLossValues[] StepPerLevel(IReadOnlyList<Tensor> tokensPerLevel)
    {
        var values = new EdLossValues[levels.Length];
        for (var i = 0; i < levels.Length; i++)
        {
            using var scope = NewDisposeScope();
            using var output = levels[i].call(tokensPerLevel[i]);
            using var terms = EdObjective.Compute(output, tokensPerLevel[i], options.Lambda1, options.Lambda2);
            optimizer.zero_grad();
            Backward(terms.Loss1, terms.Loss2);
            optimizer.step();
            values[i] = terms.ToValues();
        }

        return values;
    }

    private EdLossValues[] StepJoint(IReadOnlyList<Tensor> tokensPerLevel)
    {
        using var scope = NewDisposeScope();
        var terms = new EdLossTerms[levels.Length];
        for (var i = 0; i < levels.Length; i++)
        {
            var output = levels[i].call(tokensPerLevel[i]);
            terms[i] = EdObjective.Compute(output, tokensPerLevel[i], options.Lambda1, options.Lambda2);
        }

        optimizer.zero_grad();
        var loss1 = terms.Select(t => t.Loss1).Aggregate((a, b) => a + b);
        var loss2 = terms.Any(t => t.Loss2 is not null)
            ? terms.Select(t => t.Loss2 ?? zeros_like(t.Loss1)).Aggregate((a, b) => a + b)
            : null;
        Backward(loss1, loss2);
        optimizer.step();
        return terms.Select(t => t.ToValues()).ToArray();
    }

    // The reference back-propagates loss1 (keeping the graph) and then loss2, accumulating both gradients; one pass
    // over loss1 + loss2 gives the same sum of gradients and walks the graph (and recomputes the attention blocks) once.
    private static void Backward(Tensor loss1, Tensor? loss2)
    {
        if (loss2 is null)
        {
            loss1.backward();
            return;
        }

        using var total = loss1 + loss2;
        total.backward();
    }
}

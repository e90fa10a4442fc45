namespace Anomaly.ED.Weights;

/// <summary>
/// Puts a model trained with the reference ED/FOD Python code into a built detector, so that it runs in .NET.
/// An internal hook for now: the public entry point is planned as <c>EdDetector.ImportReferenceCheckpoint</c>
/// (docs/weights.md), once the detector's refactoring is done.
/// </summary>
internal static class ReferenceCheckpointImport
{
    /// <summary>
    /// Reads the checkpoint and the reference features, validates every level against the detector's networks
    /// (names, shapes, reference-feature size) before copying anything, then loads them and marks the detector fitted.
    /// Call it on a detector that is not in use by other threads (right after building it).
    /// </summary>
    /// <param name="detector">A detector built with the training's options (variant, backbone, levels, d_model, heads, layers, image size).</param>
    /// <param name="checkpointPath">The reference trainer's <c>.pth</c> file.</param>
    /// <param name="referenceFeaturesPath">The reference's <c>create_ref_features.py</c> <c>.pkl</c> file.</param>
    /// <exception cref="StateDictMismatchException">A level's parameter names or shapes differ from the detector's.</exception>
    /// <exception cref="CheckpointFormatException">A file is damaged, refers to Python code, or holds something else.</exception>
    public static void ImportInto(EdDetector detector, string checkpointPath, string referenceFeaturesPath)
    {
        ArgumentNullException.ThrowIfNull(detector);
        var networks = detector.Networks;
        using var checkpoint = ReferenceCheckpoint.Read(checkpointPath, referenceFeaturesPath, [.. detector.OptionsSnapshot.Levels]);
        checkpoint.Validate([.. networks], i => (networks[i].Options.InputChannels, networks[i].Options.TokenCount));
        for (var i = 0; i < networks.Count; i++)
        {
            networks[i].LoadStateDict(checkpoint.LevelStates[i]);
            networks[i].SetReferenceFeatures(checkpoint.References[i]);
            networks[i].eval();
        }

        detector.MarkFitted();
    }
}

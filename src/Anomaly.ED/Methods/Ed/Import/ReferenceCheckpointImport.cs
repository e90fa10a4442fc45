using Anomaly.ED.Formats;
using Anomaly.ED.Methods.Ed.Network;

namespace Anomaly.ED.Methods.Ed.Import;

/// <summary>Puts a model trained with the reference ED/FOD Python code into the level networks of a built ED/FOD model (see <see cref="EdDetector.ImportReferenceCheckpoint"/>).</summary>
internal static class ReferenceCheckpointImport
{
    /// <summary>
    /// Reads the checkpoint and the reference features, validates every level against the networks (names, shapes,
    /// reference-feature size) before copying anything, then loads them.
    /// </summary>
    /// <param name="networks">The level networks, built with the training's options.</param>
    /// <param name="stages">The backbone stage of each level.</param>
    /// <param name="checkpointPath">The reference trainer's <c>.pth</c> file.</param>
    /// <param name="referenceFeaturesPath">The reference's <c>create_ref_features.py</c> <c>.pkl</c> file.</param>
    /// <exception cref="StateDictMismatchException">A level's parameter names or shapes differ from the networks'.</exception>
    /// <exception cref="CheckpointFormatException">A file is damaged, refers to Python code, or holds something else.</exception>
    public static void ImportInto(IReadOnlyList<EdLevelNetwork> networks, IReadOnlyList<string> stages, string checkpointPath, string referenceFeaturesPath)
    {
        using var checkpoint = ReferenceCheckpoint.Read(checkpointPath, referenceFeaturesPath, [.. stages]);
        checkpoint.Validate([.. networks], i => (networks[i].Options.InputChannels, networks[i].Options.TokenCount));
        for (var i = 0; i < networks.Count; i++)
        {
            networks[i].LoadStateDict(checkpoint.LevelStates[i]);
            networks[i].SetReferenceFeatures(checkpoint.References[i]);
            networks[i].eval();
        }
    }
}

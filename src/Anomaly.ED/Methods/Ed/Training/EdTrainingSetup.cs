using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>What <see cref="EdTrainer"/> needs from the model it trains, and nothing more.</summary>
/// <param name="Options">The model's options (training schedule, seed, input size).</param>
/// <param name="Networks">The level networks, trained in place.</param>
/// <param name="Extractor">The frozen backbone.</param>
/// <param name="Transform">The model's image transform.</param>
/// <param name="ResetNetworks">Puts the networks back to their seeded initial parameters.</param>
/// <param name="ScoreImages">Image scores of a dataset with the networks as they are, and whether each scored image is defective.</param>
/// <param name="CheckpointContent">The model file content of a checkpoint with the given training state; the caller disposes it.</param>
/// <param name="RestoreCheckpoint">Loads a checkpoint file into the networks and the optimiser and returns its training state.</param>
internal sealed record EdTrainingSetup(
    DetectorOptions Options,
    IReadOnlyList<EdLevelNetwork> Networks,
    IFeatureExtractor Extractor,
    ImageTransform Transform,
    Action ResetNetworks,
    Func<ImageDataset, CancellationToken, (float[] Scores, bool[] Defective)> ScoreImages,
    Func<TrainingState, ModelFileContent> CheckpointContent,
    Func<string, EdOptimizationStep, TrainingState> RestoreCheckpoint);

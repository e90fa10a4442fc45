using System.Text.Json;
using Anomaly.ED.Methods.Ed.Training;

namespace Anomaly.ED.Methods.Ed;

/// <summary>
/// The flat options of format-version-1 model files (written before options were grouped by concern), converted to
/// today's <see cref="DetectorOptions"/> on load. Runtime settings of the old files (device, download permission, cache) are
/// dropped: they are given at load now.
/// </summary>
internal sealed record ModelFileV1Options(
    string Backbone,
    string? BackboneWeightsPath,
    string? PretrainedCheckpoint,
    bool AllowUntrainedBackbone,
    List<string> Levels,
    List<int> ModelDimensions,
    int ImageHeight,
    int ImageWidth,
    bool KeepAspectRatio,
    string Variant,
    int Heads,
    int Layers,
    int FeedForwardScale,
    double Dropout,
    bool WithIntra,
    bool WithInter,
    bool RelativePositionBias,
    bool UseOutProjection,
    AnomalyScoreKind Score,
    double SmoothingSigma,
    int Epochs,
    int BatchSize,
    double LearningRate,
    double Lambda1,
    double Lambda2,
    EdStepMode StepMode,
    int Seed)
{
    public static DetectorOptions Read(string json, JsonSerializerOptions serializerOptions)
    {
        var old = JsonSerializer.Deserialize<ModelFileV1Options>(json, serializerOptions) ?? throw new JsonException("metadata 'options' is null.");
        return new DetectorOptions
        {
            Method = old.Variant switch
            {
                "Ed" => DetectorMethod.Ed,
                "Fod" => DetectorMethod.Fod,
                _ => throw new JsonException($"version-1 variant '{old.Variant}' is neither Ed nor Fod."),
            },
            Backbone = new BackboneOptions
            {
                Name = old.Backbone,
                WeightsPath = old.BackboneWeightsPath,
                PretrainedCheckpoint = old.PretrainedCheckpoint,
                AllowUntrained = old.AllowUntrainedBackbone,
                Levels = old.Levels,
                ImageHeight = old.ImageHeight,
                ImageWidth = old.ImageWidth,
                KeepAspectRatio = old.KeepAspectRatio,
            },
            Seed = old.Seed,
            Ed = new EdOptions
            {
                Network = new EdNetworkOptions
                {
                    ModelDimensions = old.ModelDimensions,
                    Heads = old.Heads,
                    Layers = old.Layers,
                    FeedForwardScale = old.FeedForwardScale,
                    Dropout = old.Dropout,
                    WithIntra = old.WithIntra,
                    WithInter = old.WithInter,
                    RelativePositionBias = old.RelativePositionBias,
                    UseOutProjection = old.UseOutProjection,
                    Score = old.Score,
                },
                Training = new EdTrainingOptions
                {
                    Epochs = old.Epochs,
                    BatchSize = old.BatchSize,
                    LearningRate = old.LearningRate,
                    Lambda1 = old.Lambda1,
                    Lambda2 = old.Lambda2,
                    StepMode = old.StepMode,
                },
                SmoothingSigma = old.SmoothingSigma,
            },
        };
    }
}

using Anomaly.ED.Export;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED;

/// <summary>Log messages of the detector and its training (event ids 1000-1099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, EventName = "DetectorBuilt", Level = LogLevel.Information, Message = "Built a {Method} detector: backbone {Backbone} ({WeightsSource}), levels {Levels}, input {Height}x{Width}, device {Device}")]
    public static partial void DetectorBuilt(ILogger logger, DetectorMethod method, string backbone, string weightsSource, string levels, int height, int width, string device);

    [LoggerMessage(EventId = 1004, EventName = "ReducedPrecision", Level = LogLevel.Information, Message = "Predicting in {Precision} on {Device}: the backbone, the level networks and the matching products; scores and maps in float32, fitting in float32")]
    public static partial void ReducedPrecision(ILogger logger, ComputePrecision precision, string device);

    [LoggerMessage(EventId = 1003, EventName = "FitStarted", Level = LogLevel.Information, Message = "Fitting the {Method} detector on {Images} normal images")]
    public static partial void FitStarted(ILogger logger, DetectorMethod method, int images);

    [LoggerMessage(EventId = 1002, EventName = "UntrainedBackbone", Level = LogLevel.Warning, Message = "The backbone {Backbone} runs with untrained (random) weights: anomaly detection will be far less accurate than with ImageNet weights")]
    public static partial void UntrainedBackbone(ILogger logger, string backbone);

    [LoggerMessage(EventId = 1010, EventName = "TrainingStarted", Level = LogLevel.Information, Message = "Training on {Images} normal images for {Epochs} epochs (batch size {BatchSize})")]
    public static partial void TrainingStarted(ILogger logger, int images, int epochs, int batchSize);

    [LoggerMessage(EventId = 1011, EventName = "ReferencesComputed", Level = LogLevel.Information, Message = "Reference features of {Levels} levels computed from {Images} images; token cache {Cached}")]
    public static partial void ReferencesComputed(ILogger logger, int images, int levels, bool cached);

    [LoggerMessage(EventId = 1012, EventName = "EpochCompleted", Level = LogLevel.Information, Message = "Epoch {Epoch}/{Epochs}: reconstruction loss {Loss:F6}, {Seconds:F1} s")]
    public static partial void EpochCompleted(ILogger logger, int epoch, int epochs, double loss, double seconds);

    [LoggerMessage(EventId = 1016, EventName = "EpochValidated", Level = LogLevel.Information, Message = "Epoch {Epoch}/{Epochs}: validation {Metric} = {Value:F6}")]
    public static partial void EpochValidated(ILogger logger, int epoch, int epochs, string metric, double value);

    [LoggerMessage(EventId = 1013, EventName = "TrainingCancelled", Level = LogLevel.Warning, Message = "Training was cancelled; the detector keeps the weights of its last complete epoch")]
    public static partial void Cancelled(ILogger logger);

    [LoggerMessage(EventId = 1014, EventName = "Resumed", Level = LogLevel.Information, Message = "Resuming from checkpoint '{Path}' after epoch {Epoch}")]
    public static partial void Resumed(ILogger logger, string path, int epoch);

    [LoggerMessage(EventId = 1015, EventName = "BestFromEarlierRun", Level = LogLevel.Warning, Message = "The best validation epoch ({Epoch}) was in an earlier, resumed run whose weights are no longer held; keeping the last weights")]
    public static partial void BestFromEarlierRun(ILogger logger, int epoch);

    [LoggerMessage(EventId = 1020, EventName = "ModelSaved", Level = LogLevel.Information, Message = "Saved the model to '{Path}' (backbone weights embedded: {Embedded})")]
    public static partial void ModelSaved(ILogger logger, string path, bool embedded);

    [LoggerMessage(EventId = 1021, EventName = "ModelLoaded", Level = LogLevel.Information, Message = "Loaded the {Method} model '{Path}'")]
    public static partial void ModelLoaded(ILogger logger, string path, DetectorMethod method);

    [LoggerMessage(EventId = 1022, EventName = "WarmedUp", Level = LogLevel.Debug, Message = "Warmed up the loaded model with one blank image in {Seconds:F2} s")]
    public static partial void WarmedUp(ILogger logger, double seconds);

    [LoggerMessage(EventId = 1023, EventName = "OnnxExported", Level = LogLevel.Information, Message = "Exported the {Method} model to ONNX '{Path}' in {Precision} (external data: {External})")]
    public static partial void OnnxExported(ILogger logger, string path, DetectorMethod method, OnnxPrecision precision, bool external);

    [LoggerMessage(EventId = 1030, EventName = "TemplatesStored", Level = LogLevel.Information, Message = "HETMM holds {Templates} templates per pixel after adding {Images} normal images ({Megabytes:F1} MB)")]
    public static partial void TemplatesStored(ILogger logger, long templates, int images, double megabytes);

    [LoggerMessage(EventId = 1031, EventName = "TemplatesSelected", Level = LogLevel.Information, Message = "PTS kept {Sheets} of {Templates} templates per pixel in {Seconds:F1} s")]
    public static partial void TemplatesSelected(ILogger logger, long templates, long sheets, double seconds);
}

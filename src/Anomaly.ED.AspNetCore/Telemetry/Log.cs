using Microsoft.Extensions.Logging;

namespace Anomaly.ED.AspNetCore.Telemetry;

/// <summary>The service's log messages (event ids 2200-2299).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2200, EventName = "ModelLoading", Level = LogLevel.Information, Message = "Loading model '{Name}' from {Path}")]
    public static partial void ModelLoading(ILogger logger, string name, string path);

    [LoggerMessage(EventId = 2201, EventName = "ModelLoaded", Level = LogLevel.Information, Message = "Model '{Name}' ({Kind}) loaded and warmed up in {Milliseconds:F0} ms")]
    public static partial void ModelLoaded(ILogger logger, string name, string kind, double milliseconds);

    [LoggerMessage(EventId = 2202, EventName = "ModelLoadFailed", Level = LogLevel.Critical, Message = "Model '{Name}' could not be loaded from {Path}")]
    public static partial void ModelLoadFailed(ILogger logger, string name, string path, Exception exception);

    [LoggerMessage(EventId = 2203, EventName = "BatchFailed", Level = LogLevel.Error, Message = "A batch of {Count} image(s) of model '{Name}' failed")]
    public static partial void BatchFailed(ILogger logger, string name, int count, Exception exception);

    [LoggerMessage(EventId = 2204, EventName = "QueueFull", Level = LogLevel.Warning, Message = "The queue of model '{Name}' is full ({Capacity} images): request refused with 503")]
    public static partial void QueueFull(ILogger logger, string name, int capacity);

    [LoggerMessage(EventId = 2205, EventName = "RequestRefused", Level = LogLevel.Debug, Message = "Request for model '{Name}' refused with {Status}: {Reason}")]
    public static partial void RequestRefused(ILogger logger, string name, int status, string reason);

    [LoggerMessage(EventId = 2206, EventName = "Predicted", Level = LogLevel.Debug, Message = "Model '{Name}' scored {Count} image(s) in {Milliseconds:F1} ms")]
    public static partial void Predicted(ILogger logger, string name, int count, double milliseconds);
}

using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Data;

/// <summary>Log messages of the data layer (event ids 5000-5099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, EventName = "SkippedFile", Level = LogLevel.Warning, Message = "Skipped '{Path}': {Reason}")]
    public static partial void SkippedFile(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 5002, EventName = "EmptyFolder", Level = LogLevel.Warning, Message = "The folder '{Path}' holds no images with the extensions {Extensions}")]
    public static partial void EmptyFolder(ILogger logger, string path, string extensions);

    [LoggerMessage(EventId = 5003, EventName = "DatasetListed", Level = LogLevel.Information, Message = "Listed {Count} images ({Defective} defective, {Skipped} skipped) for {Name}")]
    public static partial void DatasetListed(ILogger logger, int count, int defective, int skipped, string name);
}

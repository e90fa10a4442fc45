using Microsoft.Extensions.Logging;

namespace Anomaly.ED.AspNetCore.EdModels;

/// <summary>The log messages of the service's model-file hosting (event ids 2300-2399).</summary>
internal static partial class Log
{
    // Which content is served, as the file proves it: the line an audit of a deployment looks for.
    [LoggerMessage(EventId = 2300, EventName = "ModelFileRead", Level = LogLevel.Information, Message = "Model file {Path}: format {FormatVersion}, written by Anomaly.ED {LibraryVersion}, content sha256 {ContentSha256} verified; loading on TorchSharp, device {Device}, precision {Precision}")]
    public static partial void ModelFileRead(ILogger logger, string path, int formatVersion, string libraryVersion, string contentSha256, string device, string precision);
}

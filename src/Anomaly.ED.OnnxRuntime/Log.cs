using Microsoft.Extensions.Logging;

namespace Anomaly.ED.OnnxRuntime;

/// <summary>The detector's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, EventName = "OnnxModelLoaded", Level = LogLevel.Information, Message = "Loaded the exported {Method} model '{Path}' on {Device} in {Seconds:F2} s")]
    public static partial void Loaded(ILogger logger, string path, string method, string device, double seconds);
}

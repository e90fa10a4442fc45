using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Samples;

/// <summary>The console logging the sample programs share: one line per message, warnings only unless verbose.</summary>
internal static class SampleLogging
{
    /// <summary>Creates the logger factory; the caller disposes it.</summary>
    public static ILoggerFactory Create(bool verbose) => LoggerFactory.Create(logging => logging
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        })
        .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning));
}

using System.Globalization;

namespace Anomaly.ED.Cli.Progress;

/// <summary>Durations as m:ss or h:mm:ss.</summary>
internal static class Clock
{
    public static string Format(TimeSpan time) => time.ToString(time.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);
}

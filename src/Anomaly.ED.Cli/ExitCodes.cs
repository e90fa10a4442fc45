namespace Anomaly.ED.Cli;

/// <summary>The tool's exit codes (docs/cli.md lists them).</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command failed while running (for example a benchmark category failed, or the device ran out of memory).</summary>
    public const int Failure = 1;

    /// <summary>The command line or an input is invalid: unknown verb or option, a bad value, a missing or wrongly laid out folder, an unreadable model or image.</summary>
    public const int InvalidInput = 2;

    /// <summary>Stopped by Ctrl+C after the current step; nothing half-written was saved (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}

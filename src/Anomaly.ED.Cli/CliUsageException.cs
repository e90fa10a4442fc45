namespace Anomaly.ED.Cli;

/// <summary>An invalid command line or input the user can fix; printed as one line, exit code <see cref="ExitCodes.InvalidInput"/>.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

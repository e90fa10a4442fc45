namespace Anomaly.ED.Samples;

/// <summary>The command line is invalid; the message says which option and why.</summary>
internal sealed class UsageException : ArgumentException
{
    /// <summary>Creates the exception with its message.</summary>
    public UsageException(string message)
        : base(message)
    {
    }
}

namespace Anomaly.ED.Data;

/// <summary>
/// Thrown when a dataset on disk does not have the expected layout or content: a missing or unlistable folder, a missing mask,
/// an empty folder, or a mask whose size differs from its image.
/// </summary>
public sealed class DatasetException : IOException
{
    /// <summary>Creates the exception for the file or folder at <paramref name="path"/>.</summary>
    /// <param name="path">The file or folder at fault.</param>
    /// <param name="reason">What is wrong with it.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DatasetException(string path, string reason, Exception? innerException = null)
        : base($"{reason}: '{path}'", innerException)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The file or folder at fault.</summary>
    public string Path { get; }

    /// <summary>What is wrong, without the path.</summary>
    public string Reason { get; }
}

namespace Anomaly.ED.Data;

/// <summary>Thrown when a file cannot be decoded as an image: empty, truncated, corrupt, or not an image format the decoder reads.</summary>
public sealed class ImageDecodeException : IOException
{
    /// <summary>Creates the exception for the file at <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file (or source name) that failed to decode.</param>
    /// <param name="reason">Why it failed, in a few words.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ImageDecodeException(string filePath, string reason, Exception? innerException = null)
        : base($"Cannot decode image '{filePath}': {reason}", innerException)
    {
        FilePath = filePath;
        Reason = reason;
    }

    /// <summary>The file (or source name) that failed to decode.</summary>
    public string FilePath { get; }

    /// <summary>Why decoding failed, without the path.</summary>
    public string Reason { get; }
}

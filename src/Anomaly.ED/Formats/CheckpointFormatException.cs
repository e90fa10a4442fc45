namespace Anomaly.ED.Formats;

/// <summary>
/// Thrown when a PyTorch (<c>.pth</c>/<c>.bin</c>) or ONNX weights file cannot be used: it is damaged or truncated, it
/// refers to Python code (only tensors and containers are accepted, and nothing in the file is ever run), or its
/// content is not what the reader expects. Names the file and, where relevant, the entry at fault.
/// </summary>
public sealed class CheckpointFormatException : FormatException
{
    /// <summary>Creates the exception for a problem in <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="problem">What is wrong, as one or more sentences.</param>
    /// <param name="innerException">The underlying reader error, if any.</param>
    public CheckpointFormatException(string filePath, string problem, Exception? innerException = null)
        : base($"Cannot use the weights file '{filePath}': {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file that cannot be used.</summary>
    public string FilePath { get; }
}

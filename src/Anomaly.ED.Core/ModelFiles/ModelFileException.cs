namespace Anomaly.ED.ModelFiles;

/// <summary>A model file cannot be used: wrong format or version, truncated, tampered with, or paired with the wrong backbone weights.</summary>
public sealed class ModelFileException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    public ModelFileException(string filePath, string problem, Exception? innerException = null)
        : base($"Model file '{filePath}': {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The model file at fault.</summary>
    public string FilePath { get; }
}

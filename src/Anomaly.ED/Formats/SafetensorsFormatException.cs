namespace Anomaly.ED.Formats;

/// <summary>Thrown when a file is not a valid safetensors file; names the file and, where relevant, the tensor at fault.</summary>
public sealed class SafetensorsFormatException : FormatException
{
    /// <summary>Creates the exception for a problem in <paramref name="filePath"/>, optionally in one tensor's entry.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="problem">What is wrong, as one sentence.</param>
    /// <param name="tensorName">The tensor whose header entry is at fault, if any.</param>
    /// <param name="innerException">The underlying parser error, if any.</param>
    public SafetensorsFormatException(string filePath, string problem, string? tensorName = null, Exception? innerException = null)
        : base(BuildMessage(filePath, problem, tensorName), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file that is not valid.</summary>
    public string FilePath { get; }

    /// <summary>The tensor whose header entry is at fault, or null when the problem concerns the whole file.</summary>
    public string? TensorName { get; }

    private static string BuildMessage(string filePath, string problem, string? tensorName) =>
        tensorName is null
            ? $"Invalid safetensors file '{filePath}': {problem}"
            : $"Invalid safetensors file '{filePath}', tensor '{tensorName}': {problem}";
}

namespace Anomaly.ED.Data;

/// <summary>A file left out under <see cref="BadFilePolicy.Skip"/>, with the reason.</summary>
/// <param name="Path">The file at fault (an image or a mask).</param>
/// <param name="Reason">Why it was left out.</param>
public sealed record SkippedFile(string Path, string Reason);

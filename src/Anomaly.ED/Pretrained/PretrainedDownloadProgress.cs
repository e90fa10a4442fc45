namespace Anomaly.ED.Pretrained;

/// <summary>Progress of a checkpoint download.</summary>
/// <param name="Checkpoint">The checkpoint being downloaded.</param>
/// <param name="BytesReceived">The bytes written so far.</param>
/// <param name="TotalBytes">The file size announced by the server, or null when unknown.</param>
public readonly record struct PretrainedDownloadProgress(PretrainedCheckpoint Checkpoint, long BytesReceived, long? TotalBytes)
{
    /// <summary>The fraction done in [0, 1], or null when the size is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 ? (double)BytesReceived / TotalBytes.Value : null;
}

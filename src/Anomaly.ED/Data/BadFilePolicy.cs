namespace Anomaly.ED.Data;

/// <summary>What to do with a file that cannot be used (corrupt image, missing or mismatched mask).</summary>
public enum BadFilePolicy
{
    /// <summary>Throw an exception naming the file (the default).</summary>
    Throw = 0,

    /// <summary>Leave the item out, log a warning and count it in the skipped files.</summary>
    Skip = 1,
}

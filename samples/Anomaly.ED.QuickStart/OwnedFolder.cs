namespace Anomaly.ED.Samples.QuickStart;

/// <summary>
/// A folder the quick start writes from scratch on every run. A marker file records that the program created it, so
/// that a later run empties only its own folders and never a user's folder that happens to have the same name.
/// </summary>
internal static class OwnedFolder
{
    private const string MarkerName = ".anomaly-ed-quickstart";

    /// <summary>Creates <paramref name="path"/> empty (with its marker), removing what an earlier run left there.</summary>
    /// <exception cref="IOException">The folder exists, is not empty and was not created by the quick start.</exception>
    public static string Recreate(string path)
    {
        if (Directory.Exists(path))
        {
            if (File.Exists(Path.Combine(path, MarkerName)))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (Directory.EnumerateFileSystemEntries(path).Any())
            {
                throw new IOException($"The folder '{path}' exists, is not empty and was not written by the quick start; choose another --output or remove the folder.");
            }
        }

        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, MarkerName), "Written by the Anomaly.ED quick start; the next run replaces this folder.\n");
        return path;
    }
}

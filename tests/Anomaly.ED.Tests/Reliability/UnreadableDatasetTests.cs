using Anomaly.ED.Data;
using Anomaly.ED.Tests.Data;
using Anomaly.ED.Tests.TestSupport;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// Folders and files the process may not read: a folder that cannot be listed is a <see cref="DatasetException"/>
/// naming it, an unreadable image an <see cref="ImageDecodeException"/> naming it (or a skip). Permission bits do not
/// stop root, so as root the dataset is read by a child process running as the user nobody.
/// </summary>
public sealed class UnreadableDatasetTests
{
    [Theory]
    [InlineData("bottle/test/broken_large", "Test", "Throw", "DatasetException")]
    [InlineData("bottle/test", "Test", "Skip", "DatasetException")]
    [InlineData("bottle/test/broken_large/000.png", "Test", "Throw", "ImageDecodeException")]
    [InlineData("bottle/test/broken_large/000.png", "Test", "Skip", "loaded 3 skipped 1")]
    [InlineData("bottle/ground_truth/broken_large/001_mask.png", "Test", "Throw", "ImageDecodeException")]
    public void AnUnreadableFolderOrFileIsNamed(string unreadable, string split, string policy, string expected)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Fail("This test sets Unix permissions; it runs on Linux.");
            return;
        }

        using var folder = new TempDirectory();
        DatasetLayouts.WriteMvtecAd(folder);
        var target = folder.Combine(unreadable);
        File.SetUnixFileMode(target, UnixFileMode.None);
        try
        {
            var result = Load(folder.Path, split, policy).Split('\t');

            result[0].Should().Be(expected, string.Join(" | ", result));
            if (result.Length > 1)
            {
                result[1].Should().Be(target, "the exception names the unreadable folder or file");
                result[2].Should().Contain(expected == "DatasetException" ? "The folder cannot be listed" : "the file cannot be read");
            }
        }
        finally
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static string Load(string root, string split, string policy)
    {
        if (!ChildProcess.IsRoot)
        {
            using var output = new StringWriter();
            var previous = Console.Out;
            Console.SetOut(output);
            try
            {
                ChildProcess.LoadMvtec(root, Enum.Parse<DatasetSplit>(split), Enum.Parse<BadFilePolicy>(policy));
            }
            finally
            {
                Console.SetOut(previous);
            }

            return output.ToString().Trim();
        }

        using var child = ChildProcess.Start("load-mvtec", [root, split, policy], asNobody: true);
        var line = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        return line;
    }
}

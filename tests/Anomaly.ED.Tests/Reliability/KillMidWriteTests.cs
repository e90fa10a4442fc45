using System.Diagnostics;
using Anomaly.ED.Tests.Data;
using Anomaly.ED.Tests.TestSupport;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// A process killed (SIGKILL) while it saves models over one path: the file under the final name is always one of the
/// complete models, byte for byte, and loads; never a partial file.
/// </summary>
public sealed class KillMidWriteTests(ITestOutputHelper output)
{
    private static readonly string LegacyFolder = Path.Combine(AppContext.BaseDirectory, "Detector", "LegacyModels");

    [Fact]
    public void AProcessKilledWhileSavingLeavesTheOldOrTheNewCompleteModel()
    {
        using var folder = new TempDirectory();
        var sources = new[] { Path.Combine(LegacyFolder, "v1-ed.edmodel"), Path.Combine(LegacyFolder, "v1-fod.edmodel") };
        var complete = sources.Select((source, i) =>
        {
            var path = Path.Combine(folder.Path, $"expected-{i}.edmodel");
            using (var detector = EdDetector.Load(source))
            {
                detector.Save(path);
            }

            return File.ReadAllBytes(path);
        }).ToArray();
        var target = Path.Combine(folder.Path, "model.edmodel");
        var random = new Random(1129);
        var savesBeforeKill = new List<long>();

        for (var round = 0; round < 4; round++)
        {
            using var child = ChildProcess.Start("save-loop", [.. sources, target]);
            try
            {
                // After the first completed save, kill at a random moment of the loop.
                var first = ReadLine(child, TimeSpan.FromSeconds(60));
                first.Should().StartWith("saved", "the child reports its saves");
                Thread.Sleep(random.Next(0, 120));
            }
            finally
            {
                child.Kill();
                child.WaitForExit();
            }

            var lines = child.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            savesBeforeKill.Add(lines.Length + 1);
            var bytes = File.ReadAllBytes(target);
            complete.Any(c => c.AsSpan().SequenceEqual(bytes)).Should().BeTrue($"round {round}: the file under the final name is a complete model ({bytes.Length} bytes)");
            using var loaded = EdDetector.Load(target);
            loaded.IsFitted.Should().BeTrue();
        }

        output.WriteLine($"4 kills after {string.Join(", ", savesBeforeKill)} completed saves; temporary files left by the killed writers: {Directory.GetFiles(folder.Path, ".model.edmodel.*.tmp").Length}");
    }

    private static string ReadLine(Process child, TimeSpan timeout)
    {
        var line = child.StandardOutput.ReadLineAsync();
        return line.Wait(timeout) ? line.Result ?? string.Empty : throw new TimeoutException("The child process did not report a save in time.");
    }
}

using System.Diagnostics;
using Anomaly.ED.Tests.Data;
using Anomaly.ED.Tests.Detector;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// Saving a model or a report onto a full disk: the write fails with an <see cref="IOException"/> naming the file, the
/// previous file stays intact and readable, and no partial file is left under the final name or as a temporary file.
/// The full disk is a 1.5 MB tmpfs the test mounts (root on Linux); where it cannot mount one it says so and stops.
/// </summary>
[Collection(DetectorCollection.Name)]
public sealed class DiskFaultTests(TinyDetectorFixture fixture)
{
    [Fact]
    public void AFullDiskKeepsThePreviousModelAndReport()
    {
        using var folder = new TempDirectory();
        var mount = Path.Combine(folder.Path, "small-disk");
        Directory.CreateDirectory(mount);
        Assert.True(Mount(mount), "This test mounts a 1.5 MB tmpfs and needs root on Linux (CI runs as root).");
        try
        {
            var model = Path.Combine(mount, "model.edmodel");
            var report = Path.Combine(mount, "report.json");
            using var small = EdDetector.Load(Path.Combine(AppContext.BaseDirectory, "Detector", "LegacyModels", "v1-ed.edmodel"));
            small.Save(model);
            var evaluation = fixture.Detector.Evaluate(fixture.Test);
            evaluation.SaveJson(report);
            var modelBytes = File.ReadAllBytes(model);
            var reportBytes = File.ReadAllBytes(report);

            // The fixture's detector embeds an 11 MB backbone: far more than the disk holds.
            var save = () => fixture.Detector.Save(model);
            save.Should().Throw<IOException>().Which.Message.Should().Contain("model.edmodel");
            var fill = Path.Combine(mount, "filler.bin");
            FillDisk(fill);
            var saveReport = () => evaluation.SaveJson(report);
            saveReport.Should().Throw<IOException>().Which.Message.Should().Contain("report.json");

            File.ReadAllBytes(model).Should().Equal(modelBytes, "the previous model is untouched");
            File.ReadAllBytes(report).Should().Equal(reportBytes, "the previous report is untouched");
            using (var reloaded = EdDetector.Load(model))
            {
                reloaded.IsFitted.Should().BeTrue();
            }

            Directory.GetFiles(mount).Select(Path.GetFileName).Should().BeEquivalentTo(["model.edmodel", "report.json", "filler.bin"], "no temporary file is left behind");
        }
        finally
        {
            Run("umount", mount);
        }
    }

    [Fact]
    public void AReadOnlyFolderKeepsThePreviousModel()
    {
        using var folder = new TempDirectory();
        var mount = Path.Combine(folder.Path, "read-only");
        Directory.CreateDirectory(mount);
        Assert.True(Mount(mount), "This test mounts a tmpfs and needs root on Linux (CI runs as root).");
        try
        {
            var model = Path.Combine(mount, "model.edmodel");
            using var small = EdDetector.Load(Path.Combine(AppContext.BaseDirectory, "Detector", "LegacyModels", "v1-ed.edmodel"));
            small.Save(model);
            var modelBytes = File.ReadAllBytes(model);

            // Read-only for root too (a permission bit would not stop root): the file system itself is remounted read-only.
            Run("mount", $"-o remount,ro {mount}").Should().BeTrue();
            var save = () => small.Save(model);

            save.Should().Throw<IOException>().Which.Message.Should().Contain("model.edmodel");
            File.ReadAllBytes(model).Should().Equal(modelBytes, "the previous model is untouched");
            Directory.GetFiles(mount).Select(Path.GetFileName).Should().Equal(["model.edmodel"], "no temporary file could be made");
        }
        finally
        {
            Run("umount", mount);
        }
    }

    private static bool Mount(string path) => OperatingSystem.IsLinux() && Run("mount", $"-t tmpfs -o size=1536k tmpfs {path}");

    private static void FillDisk(string path)
    {
        var block = new byte[4096];
        try
        {
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
            while (true)
            {
                stream.Write(block);
            }
        }
        catch (IOException)
        {
            // The disk is full.
        }
    }

    private static bool Run(string command, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true });
            process!.WaitForExit(30_000);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

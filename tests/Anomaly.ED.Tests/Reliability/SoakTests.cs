using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Data;
using Anomaly.ED.Tests.Data;
using TorchSharp;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// A long run of predictions on one detector (a small CPU configuration): after warm-up, resident memory, the managed
/// heap and the count of live tensors must not grow. The suite runs 3,000 (about 20 s on the 2-core CI machine); ANOMALY_ED_SOAK_PREDICTIONS=10000 or more for the long run.
/// </summary>
[Collection(ProcessMeasurementCollection.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    // Twelve samples in the default run: an allocator step (a new arena for a new pool thread) then sits between few of
    // the pairs the slope takes the median of, where with six it moved the median (a 5 MB step at the last sample).
    private const int SampleEvery = 250;

    [Fact]
    public void ThousandsOfPredictionsDoNotGrowMemory()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("ANOMALY_ED_SOAK_PREDICTIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 3_000;
        using var folder = new TempDirectory();
        Anomaly.ED.Data.SyntheticDefectDataset.Generate(folder.Path, size: 32, trainCount: 4, testNormalCount: 2, testDefectsPerType: 1, seed: 17);
        using var detector = new EdDetectorBuilder()
            .WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(32)
            .WithLevels(["layer1"], [16]).WithNetwork(heads: 2, layers: 1).WithEpochs(1).WithBatchSize(2).WithSeed(3)
            .Build();
        detector.Fit(Anomaly.ED.Data.SyntheticDefectDataset.OpenTraining(folder.Path));
        var image = File.ReadAllBytes(Anomaly.ED.Data.SyntheticDefectDataset.OpenTest(folder.Path).Items[0].ImagePath);

        var samples = new List<(int Calls, double RssMb, double ManagedMb, long LiveTensors)>();
        var watch = Stopwatch.StartNew();
        for (var call = 1; call <= count; call++)
        {
            detector.Predict(image);
            if (call % SampleEvery == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                using var process = Process.GetCurrentProcess();
                samples.Add((call, process.WorkingSet64 / 1048576.0, GC.GetTotalMemory(forceFullCollection: true) / 1048576.0, DisposeScopeManager.Statistics.ThreadTotalLiveCount));
            }
        }

        var seconds = watch.Elapsed.TotalSeconds;
        foreach (var s in samples)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Calls,6} calls  RSS {s.RssMb,8:F1} MB  managed {s.ManagedMb,6:F2} MB  live tensors {s.LiveTensors}"));
        }

        // Warm-up: the first quarter of the samples (allocator pools, JIT, lazily created native state).
        var steady = samples.Skip(Math.Max(1, samples.Count / 4)).ToList();
        var rssSlope = Slope(steady.Select(s => ((double)s.Calls, s.RssMb)).ToList()) * 1000;
        var managedSlope = Slope(steady.Select(s => ((double)s.Calls, s.ManagedMb)).ToList()) * 1000;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} predictions in {seconds:F1} s ({count / seconds:F0}/s); after warm-up RSS slope {rssSlope:F3} MB per 1000 calls, managed {managedSlope:F4} MB per 1000 calls"));

        steady.Select(s => s.LiveTensors).Distinct().Should().ContainSingle("no tensor outlives its prediction");
        rssSlope.Should().BeLessThan(1.0, "native memory must not grow with the number of predictions (1 MB per 1000 calls would be a leak of 1 KB per call)");
        managedSlope.Should().BeLessThan(0.1);
    }

    // Theil-Sen: the median of the pairwise slopes. A leak raises every pair alike, while one allocator step (glibc
    // handing a new arena page to a decode thread) moves only the pairs it sits between, so noise cannot fail the test.
    private static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        var slopes = new List<double>();
        for (var i = 0; i < points.Count; i++)
        {
            for (var j = i + 1; j < points.Count; j++)
            {
                slopes.Add((points[j].Y - points[i].Y) / (points[j].X - points[i].X));
            }
        }

        if (slopes.Count == 0)
        {
            return 0;
        }

        slopes.Sort();
        var middle = slopes.Count / 2;
        return slopes.Count % 2 == 1 ? slopes[middle] : (slopes[middle - 1] + slopes[middle]) / 2;
    }
}

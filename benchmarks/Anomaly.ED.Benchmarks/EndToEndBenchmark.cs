using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Data;
using Anomaly.ED.Training;
using TorchSharp;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// End-to-end throughput at the reference configuration (wide_resnet50_2, layer2 + layer3, 256x256, d_model 256/512,
/// 8 heads, 3 layers): prediction images/s (backbone + both levels + post-processing) and training seconds per image
/// per epoch, on generated images. Weight values do not change the arithmetic, so untrained weights time the same.
/// </summary>
internal static class EndToEndBenchmark
{
    public static int Run(string[] args)
    {
        var trainImages = BenchmarkArgs.Int(args, "--train-images", 8);
        var predictImages = BenchmarkArgs.Int(args, "--predict-images", 32);
        var threads = BenchmarkArgs.Int(args, "--threads", 0);
        if (threads > 0)
        {
            torch.set_num_threads(threads);
        }

        var root = Path.Combine(Path.GetTempPath(), "anomaly-ed-e2e-benchmark");
        SyntheticDefectDataset.Generate(root, size: 256, trainCount: trainImages, testNormalCount: predictImages, testDefectsPerType: 0, seed: 1);
        var training = SyntheticDefectDataset.OpenTraining(root);
        var testPaths = Directory.GetFiles(Path.Combine(root, "test", "good")).Order(StringComparer.Ordinal).ToArray();

        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, torch threads {torch.get_num_threads()}, {Environment.OSVersion}, .NET {Environment.Version}");
        Console.WriteLine($"configuration: reference defaults (wide_resnet50_2, layer2+layer3, 256x256, d_model 256/512, 8 heads, 3 layers), CPU");

        using var detector = new EdDetectorBuilder().WithUntrainedBackbone().WithEpochs(2).Build();
        var epochs = new List<(int Epoch, double Seconds)>();
        var watch = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        var progress = new SynchronousProgress(p =>
        {
            if (p.Step == p.StepsPerEpoch)
            {
                epochs.Add((p.Epoch, (p.Elapsed - last).TotalSeconds));
                last = p.Elapsed;
            }
        });
        var result = detector.Fit(training, new EdFitOptions(), progress);
        var total = watch.Elapsed.TotalSeconds;
        var referencePass = total - epochs.Sum(e => e.Seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training on {trainImages} images, batch 1, token cache {(result.FeaturesCached ? "on" : "off")}:"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  reference-feature pass (decode + backbone): {referencePass:F2} s = {referencePass / trainImages:F3} s/image"));
        foreach (var (epoch, seconds) in epochs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  epoch {epoch}: {seconds:F2} s = {seconds / trainImages:F3} s/image"));
        }

        detector.Predict(testPaths.Take(2).ToArray());
        foreach (var batch in new[] { 1, 8 })
        {
            var options = new PredictOptions { BatchSize = batch };
            watch.Restart();
            detector.Predict(testPaths, options);
            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"predict {testPaths.Length} PNG files, batch {batch}: {seconds:F2} s = {testPaths.Length / seconds:F2} images/s ({1000 * seconds / testPaths.Length:F0} ms/image)"));
        }

        var before = Process.GetCurrentProcess().WorkingSet64;
        for (var i = 0; i < 200; i++)
        {
            detector.Predict(testPaths[i % testPaths.Length]);
        }

        var after = Process.GetCurrentProcess().WorkingSet64;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"working set over 200 more predictions: {before / 1048576.0:F0} MB -> {after / 1048576.0:F0} MB"));
        return 0;
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}

using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Data;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Runtime;
using Anomaly.ED.Training;
using TorchSharp;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// End-to-end throughput at the reference configuration (wide_resnet50_2, layer2 + layer3, 256x256, d_model 256/512,
/// 8 heads, 3 layers): training seconds per image per epoch, prediction seconds per image (decode, backbone, both
/// levels, upsampling, smoothing, image score) at batch 1 and 8, peak resident memory of each phase, and, with
/// <c>--reference-bench</c>, the reference PyTorch code measured in a child process with the same threads, printed
/// side by side with ratios; then the arithmetic per image against the machine's measured limits.
/// Weight values do not change the arithmetic, so untrained weights time the same.
/// </summary>
internal static class EndToEndBenchmark
{
    private static readonly string[] Stages = ["layer2", "layer3"];

    public static int Run(string[] args)
    {
        var trainImages = ArgInt(args, "--train-images", 4);
        var predictImages = ArgInt(args, "--predict-images", 8);
        var threads = ArgInt(args, "--threads", Anomaly.ED.Runtime.IntraOpThreads.PhysicalCores());
        torch.set_num_threads(threads);
        var reference = ArgText(args, "--reference-bench") is { } bench
            ? new ReferenceSettings(
                // The reference runs in its own folder, so relative paths are resolved here first.
                Path.GetFullPath(bench),
                Path.GetFullPath(ArgText(args, "--ed-repository") ?? throw new ArgumentException("--reference-bench needs --ed-repository (a git directory of github.com/Vzoooong/ED).")),
                ArgText(args, "--python") ?? "/usr/bin/python3",
                ArgText(args, "--reference-blas"))
            : null;
        var referenceHeaps = (ArgText(args, "--reference-heap") ?? "default,retained").Split(',', StringSplitOptions.RemoveEmptyEntries);

        var root = Path.Combine(Path.GetTempPath(), "anomaly-ed-e2e-benchmark");
        SyntheticDefectDataset.Generate(root, size: 256, trainCount: trainImages, testNormalCount: predictImages, testDefectsPerType: 0, seed: 1);
        var training = SyntheticDefectDataset.OpenTraining(root);
        var testPaths = Directory.GetFiles(Path.Combine(root, "test", "good")).Order(StringComparer.Ordinal).ToArray();

        Console.WriteLine($"machine: {MachineFacts.Describe()}; intra-op threads {torch.get_num_threads()}");
        Console.WriteLine("configuration: reference defaults (wide_resnet50_2, layer2+layer3, 256x256, d_model 256/512, 8 heads, 3 layers), CPU, float32, glibc default allocator");

        // Training: the first epoch includes the reference-feature pass (decode + backbone + token cache); later
        // epochs are the steady-state step (cached tokens: both levels, both objectives, Adam).
        ProcessMemory.ResetPeak();
        using var detector = new EdDetectorBuilder().WithUntrainedBackbone().WithEpochs(2).Build();
        var epochs = new List<double>();
        var last = TimeSpan.Zero;
        var progress = new SynchronousProgress(p =>
        {
            if (p.Step == p.StepsPerEpoch)
            {
                epochs.Add((p.Elapsed - last).TotalSeconds);
                last = p.Elapsed;
            }
        });
        var watch = Stopwatch.StartNew();
        var result = detector.Fit(training, new FitOptions(), progress);
        var referencePass = watch.Elapsed.TotalSeconds - epochs.Sum();
        var trainingPeak = ProcessMemory.PeakResidentMegabytes();
        var step = epochs[^1] / trainImages;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training on {trainImages} images, batch 1, token cache {(result.FeaturesCached ? "on" : "off")}: reference-feature pass {referencePass / trainImages:F3} s/image, epochs {string.Join(", ", epochs.Select(e => (e / trainImages).ToString("F3", CultureInfo.InvariantCulture)))} s/image; peak RSS {trainingPeak:F0} MB"));

        ProcessMemory.ResetPeak();
        detector.Predict(testPaths.Take(2).ToArray());
        var predictSeconds = new Dictionary<int, double>();
        foreach (var batch in new[] { 1, 8 })
        {
            watch.Restart();
            detector.Predict(testPaths, new PredictOptions { BatchSize = batch });
            predictSeconds[batch] = watch.Elapsed.TotalSeconds / testPaths.Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"predict {testPaths.Length} PNG files, batch {batch}: {predictSeconds[batch]:F3} s/image ({1 / predictSeconds[batch]:F2} images/s)"));
        }

        var modelPath = Path.Combine(root, "model.edmodel");
        detector.Save(modelPath, includeBackboneWeights: true);
        var (freshSeconds, predictPeak) = PredictionProcess.Measure(modelPath, testPaths, threads);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"predict in a fresh process (load the saved model, batch 1): {freshSeconds:F3} s/image, peak RSS {predictPeak:F0} MB"));

        var runs = reference is null
            ? []
            : referenceHeaps.Select(h => ReferenceRun.Measure(reference, h == "retained", predictImages, Math.Max(1, Math.Min(trainImages, 3)), threads)).ToList();
        PrintComparison(step, predictSeconds, trainingPeak, predictPeak, runs);
        PrintArithmetic(step, predictSeconds[1]);
        return 0;
    }

    private static void PrintComparison(double step, Dictionary<int, double> predict, double? trainingPeak, double predictPeak, List<ReferenceRun> runs)
    {
        Console.WriteLine();
        var header = "| | Anomaly.ED |" + string.Concat(runs.Select(r => $" {r.Label} | ratio |"));
        Console.WriteLine(header);
        Console.WriteLine("| --- | ---: |" + string.Concat(runs.Select(_ => " ---: | ---: |")));
        Row("predict, s/image (batch 1)", predict[1], runs.Select(r => r.PredictSeconds));
        Row("predict, s/image (batch 8)", predict[8], runs.Select(r => r.PredictSeconds));
        Row("training step, s/image (network, both levels, Adam)", step, runs.Select(r => r.TrainStepSeconds - r.BackboneSeconds));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| peak RSS, MB (training / prediction in a fresh process) | {trainingPeak:F0} / {predictPeak:F0} |") + string.Concat(runs.Select(r => string.Create(CultureInfo.InvariantCulture, $" {r.PeakResidentMegabytes:F0} (one process) | |"))));
        if (runs.Count > 0)
        {
            Console.WriteLine("ratio = reference time / Anomaly.ED time (higher is faster); the reference's training step is its timed step minus its backbone time, as our steady-state epochs reuse cached tokens.");
        }
    }

    private static void Row(string name, double ours, IEnumerable<double> reference) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {ours:F3} |") + string.Concat(reference.Select(r => string.Create(CultureInfo.InvariantCulture, $" {r:F3} | {r / ours:F1}x |"))));

    private static void PrintArithmetic(double step, double predict)
    {
        var levels = new[] { EdLevelOptions.Ed(32, 32, 512, 256), EdLevelOptions.Ed(16, 16, 1024, 512) };
        var backbone = EdArithmetic.BackboneFlops("wide_resnet50_2", Stages, 256);
        var forward = levels.Sum(EdArithmetic.NetworkForwardFlops);
        var scoring = levels.Sum(EdArithmetic.ScoreProductFlops);
        var maps = levels.Sum(EdArithmetic.MapElements);
        var predictFlops = backbone + forward + scoring;

        // Training: forward, one backward pass over loss1 + loss2 (about twice the forward's products), and the
        // blocked attention's recomputation of Q K^T and A V of both branches in the backward pass.
        var trainFlops = (3 * forward) + levels.Sum(o => 2 * 2 * EdArithmetic.ScoreProductFlops(o));
        long parameters;
        using (var networks = new DisposableList<EdLevelNetwork>(levels.Select(o => new EdLevelNetwork(o))))
        {
            parameters = EdArithmetic.Parameters(networks.Items);
        }

        // Minimum traffic: parameters read in every pass plus Adam's read/write of parameter, gradient and two moments;
        // token-sized activations written once and read once per pass. Maps stay in cache in blocks.
        var activations = levels.Sum(EdArithmetic.ActivationElements);
        var trainBytes = 4.0 * ((parameters * (3 + 8)) + (activations * 2 * 3));
        var peakFlops = MachineFacts.MatmulGflops() * 1e9;
        var bandwidth = MachineFacts.CopyBandwidthGBs() * 1e9;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine limits (measured, this thread setting): float32 matmul {peakFlops / 1e9:F0} GFLOP/s, memory copy {bandwidth / 1e9:F1} GB/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"prediction, per image: {predictFlops / 1e9:F1} GFLOP (backbone {backbone / 1e9:F1}, networks {forward / 1e9:F2}, blocked scoring {scoring / 1e9:F2}) + {maps / 1e6:F0} M map elements; at peak {predictFlops / peakFlops:F3} s, measured {predict:F3} s ({predictFlops / predict / 1e9:F0} GFLOP/s, {100 * predictFlops / predict / peakFlops:F0}% of peak)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"training step, per image: {trainFlops / 1e9:F1} GFLOP, >= {trainBytes / 1e6:F0} MB moved ({parameters / 1e6:F1} M parameters); at peak {trainFlops / peakFlops:F3} s, at bandwidth {trainBytes / bandwidth:F3} s, measured {step:F3} s ({trainFlops / step / 1e9:F0} GFLOP/s, {100 * trainFlops / step / peakFlops:F0}% of peak)"));
    }

    private static int ArgInt(string[] args, string name, int fallback) =>
        ArgText(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? ArgText(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }

    private sealed class DisposableList<T>(IEnumerable<T> items) : IDisposable
        where T : IDisposable
    {
        public IReadOnlyList<T> Items { get; } = items.ToArray();

        public void Dispose()
        {
            foreach (var item in Items)
            {
                item.Dispose();
            }
        }
    }
}

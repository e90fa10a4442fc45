using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Data;
using Anomaly.ED.Methods.Hetmm;
using Anomaly.ED.OnnxRuntime;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// <c>onnx</c>: predict seconds per image at batch 1 and 8, <see cref="OnnxDetector"/> (the model's export on ONNX
/// Runtime) against <see cref="EdDetector"/> (TorchSharp) in one process, on the same generated image files, with the
/// same number of threads; and the time <see cref="OnnxDetector.Load"/> takes to create the inference session. ED at
/// the reference configuration (wide_resnet50_2 untrained, layer2 + layer3, d_model 256/512, fitted for one epoch on
/// two images: the cost does not depend on the weights) and HETMM with N random unit-vector templates per pixel (200,
/// the full set, and 60, a PTS set's size; the matching cost does not depend on the values). Both sides decode and
/// resize with the library's code, so the difference is the networks' runtime. HETMM is also exported in int8
/// (<see cref="EdDetector.ExportOnnxInt8"/>, calibrated on the two generated training images) and timed in the same
/// alternation.
/// </summary>
internal static class OnnxRuntimeBenchmark
{
    private const int Images = 8;

    public static int Run(string[] args)
    {
        var size = BenchmarkArgs.Int(args, "--size", 256);
        var rounds = BenchmarkArgs.Int(args, "--rounds", 3);
        var edBackbone = Text(args, "--ed-backbone") ?? "wide_resnet50_2";
        var hetmmBackbone = Text(args, "--hetmm-backbone") ?? "resnet18";
        int[] counts = [BenchmarkArgs.Int(args, "--templates", 200), BenchmarkArgs.Int(args, "--sheets", 60)];
        var methods = (Text(args, "--methods") ?? "ed,hetmm").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var threads = get_num_threads();
        Console.WriteLine(MachineFacts.Describe());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}; {threads} threads for TorchSharp and ONNX Runtime; {size}x{size}; {Images} images per call; median of {rounds} rounds"));
        var root = Directory.CreateTempSubdirectory("anomaly-ed-onnx-bench").FullName;
        try
        {
            SyntheticDefectDataset.Generate(root, size, trainCount: 2, testNormalCount: Images, testDefectsPerType: 0, seed: 5);
            var images = Directory.GetFiles(Path.Combine(root, "test", "good")).Order(StringComparer.Ordinal).ToArray();
            if (methods.Contains("ed", StringComparer.OrdinalIgnoreCase))
            {
                using var ed = new EdDetectorBuilder().WithBackbone(edBackbone).WithUntrainedBackbone().WithImageSize(size).WithEpochs(1).WithBatchSize(2).Build();
                ed.Fit(SyntheticDefectDataset.OpenTraining(root));
                Compare($"ED {edBackbone}", ed, images, root, threads, rounds, calibration: null);
            }

            foreach (var count in methods.Contains("hetmm", StringComparer.OrdinalIgnoreCase) ? counts : [])
            {
                using var hetmm = new EdDetectorBuilder().UseHetmm().WithBackbone(hetmmBackbone).WithUntrainedBackbone().WithImageSize(size).Build();
                LoadRandomTemplates(hetmm, count, size);
                var calibration = Directory.GetFiles(Path.Combine(root, "train", "good")).Order(StringComparer.Ordinal).ToArray();
                Compare($"HETMM {hetmmBackbone}, {count} templates", hetmm, images, root, threads, rounds, calibration);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        Console.WriteLine($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    private static void Compare(string name, EdDetector torch, string[] images, string root, int threads, int rounds, string[]? calibration)
    {
        var path = Path.Combine(root, "model.onnx");
        var watch = Stopwatch.StartNew();
        torch.ExportOnnx(path);
        var export = watch.Elapsed.TotalSeconds;

        // The first load also reads the file from disk; the others find it in the page cache, as a restarted service does.
        var loads = new double[3];
        OnnxDetector? onnx = null;
        for (var i = 0; i < loads.Length; i++)
        {
            onnx?.Dispose();
            watch.Restart();
            onnx = OnnxDetector.Load(path, new OnnxDetectorOptions { IntraOpThreads = threads });
            loads[i] = watch.Elapsed.TotalSeconds;
        }

        OnnxDetector? int8 = null;
        if (calibration is not null)
        {
            var int8Path = Path.Combine(root, "model-int8.onnx");
            watch.Restart();
            torch.ExportOnnxInt8(int8Path, calibration);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: int8 export (with calibration) {watch.Elapsed.TotalSeconds:F1} s, {new FileInfo(int8Path).Length / 1048576.0:F0} MB"));
            int8 = OnnxDetector.Load(int8Path, new OnnxDetectorOptions { IntraOpThreads = threads });
        }

        using (int8)
        using (onnx)
        {
            var bytes = new FileInfo(path).Length + (File.Exists(path + ".data") ? new FileInfo(path + ".data").Length : 0);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: export {export:F1} s, {bytes / 1048576.0:F0} MB; session creation {string.Join(" / ", loads.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))} s (first / page-cached)"));
            foreach (var batch in new[] { 1, 8 })
            {
                var options = new PredictOptions { BatchSize = batch };
                var expected = torch.Predict(images, options);
                var actual = onnx!.Predict(images, options);
                var worst = expected.Zip(actual, (e, a) => Math.Abs(a.Score - e.Score) / Math.Abs(e.Score)).Max();
                var (torchTimes, onnxTimes, int8Times) = (new double[rounds], new double[rounds], new double[rounds]);
                for (var r = 0; r < rounds; r++)
                {
                    // Alternated, so a burst of load from another process falls on all sides alike.
                    torchTimes[r] = SecondsPerImage(() => torch.Predict(images, options));
                    onnxTimes[r] = SecondsPerImage(() => onnx.Predict(images, options));
                    int8Times[r] = int8 is null ? double.NaN : SecondsPerImage(() => int8.Predict(images, options));
                }

                var (t, o) = (Median(torchTimes), Median(onnxTimes));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  batch {batch}: TorchSharp {t:F3} s/image, ONNX Runtime {o:F3} s/image, ONNX Runtime / TorchSharp {o / t:F2} (scores agree within {worst:E1} relative)"));
                if (int8 is not null)
                {
                    var i = Median(int8Times);
                    var scores = int8.Predict(images, options).Zip(actual, (q, f) => Math.Abs(q.Score - f.Score) / Math.Abs(f.Score)).Max();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"           ONNX Runtime int8 {i:F3} s/image, int8 / float32 {i / o:F2} (scores within {scores:E1} relative of float32's; random templates, so no accuracy figure)"));
                }
            }
        }
    }

    private static double SecondsPerImage(Action predict)
    {
        var watch = Stopwatch.StartNew();
        predict();
        return watch.Elapsed.TotalSeconds / Images;
    }

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);

    // As HetmmBenchmark: N random unit vectors per pixel and level, which also marks the model fitted.
    private static void LoadRandomTemplates(EdDetector detector, int count, int size)
    {
        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator(1);
        var state = detector.Stages.ToDictionary(
            s => "hetmm.templates." + s.Name,
            s => nn.functional.normalize(randn(new long[] { count, s.Channels, s.OutputSize(size), s.OutputSize(size) }, generator: generator), dim: 1));
        ((HetmmModel)detector.Model).LoadState(state, "(benchmark)");
    }

    private static string? Text(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
}

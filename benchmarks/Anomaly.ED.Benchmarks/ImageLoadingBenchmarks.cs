using Anomaly.ED.Data;
using BenchmarkDotNet.Attributes;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// Decode + transform throughput from PNG files to normalised 3x256x256 tensors (ED's MVTec AD pipeline:
/// Lanczos to 256x256). Each operation is one image, so images/s = 1 / Mean.
/// </summary>
[MemoryDiagnoser]
public class ImageLoadingBenchmarks
{
    private const int ImageCount = 32;

    private string folder = string.Empty;
    private DatasetItem[] items = [];
    private ImageTransform transform = null!;
    private float[] buffer = [];

    /// <summary>Source image side, in pixels (MVTec AD images are 700 to 1024 pixels wide).</summary>
    [Params(512, 1024)]
    public int SourceSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        folder = Path.Combine(Path.GetTempPath(), "anomaly-ed-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var random = new Random(1234);
        items = new DatasetItem[ImageCount];
        for (var i = 0; i < ImageCount; i++)
        {
            // Smooth gradients plus noise, so the PNGs compress like photographs rather than flat fills.
            var image = new ImageBuffer(SourceSize, SourceSize, 3);
            for (var p = 0; p < image.Pixels.Length; p++)
            {
                var pixel = p / 3;
                image.Pixels[p] = (byte)(((pixel % SourceSize) + (pixel / SourceSize) + (i * 13) + random.Next(24)) & 0xFF);
            }

            var path = Path.Combine(folder, $"{i:D3}.png");
            ImageEncoder.WritePng(image, path);
            items[i] = new DatasetItem(path, AnomalyLabel.Normal, "good", null);
        }

        transform = new ImageTransform(ImageTransformOptions.EdSquare());
        buffer = new float[3 * 256 * 256];
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(folder, recursive: true);

    /// <summary>One thread: decode, resize, normalise into a reused buffer (no tensors).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = ImageCount)]
    public float SingleThread()
    {
        var sum = 0f;
        foreach (var item in items)
        {
            transform.WriteImage(ImageDecoder.DecodeRgb(item.ImagePath), buffer);
            sum += buffer[0];
        }

        return sum;
    }

    /// <summary>The loader with one worker, batches of 8 tensors (B, 3, 256, 256).</summary>
    [Benchmark(OperationsPerInvoke = ImageCount)]
    public long LoaderOneWorker() => Load(1);

    /// <summary>The loader with one worker per core, batches of 8 tensors.</summary>
    [Benchmark(OperationsPerInvoke = ImageCount)]
    public long LoaderParallel() => Load(Environment.ProcessorCount);

    private long Load(int workers)
    {
        var loader = new DatasetLoader(transform, new DatasetLoaderOptions { BatchSize = 8, MaxDegreeOfParallelism = workers });
        long count = 0;
        foreach (var batch in loader.ReadBatches(items))
        {
            using (batch)
            {
                count += batch.Count;
            }
        }

        return count;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Anomaly.ED.Data;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// <c>serve-load TOOL_DLL MODEL IMAGES_DIR [--clients 1,4,8] [--requests 2000] [--max-batch 8] [--port 5099] [--timeout-s 600]</c>:
/// starts <c>anomaly-ed serve</c> as a child process on 127.0.0.1, then for each client count sends the given number of
/// single-image requests in all (bounded in count and time), and reports errors, requests/s, p50/p99 latency, the batch
/// sizes reached and the server's resident memory (first, last, slope), beside in-process batched <c>Predict</c> of the
/// same images. Traffic goes to loopback only; the child is stopped at the end.
/// </summary>
internal static class ServeLoadBenchmark
{
    public static int Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: serve-load TOOL_DLL MODEL IMAGES_DIR [--clients 1,4,8] [--requests 2000] [--max-batch 8] [--port 5099] [--timeout-s 600]");
            return 2;
        }

        var (tool, model, folder) = (args[0], args[1], args[2]);
        var clients = BenchmarkArgs.String(args, "--clients", "1,4,8").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        var requests = BenchmarkArgs.Int(args, "--requests", 2000);
        var maxBatch = BenchmarkArgs.Int(args, "--max-batch", 8);
        var port = BenchmarkArgs.Int(args, "--port", 5099);
        var deadline = DateTime.UtcNow.AddSeconds(BenchmarkArgs.Int(args, "--timeout-s", 600));
        var images = Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories).Order().Take(64).Select(File.ReadAllBytes).ToArray();
        Console.WriteLine(MachineFacts.Describe());
        Console.WriteLine($"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}; {images.Length} distinct images, {requests} requests per client count, max batch {maxBatch}");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"in-process Predict, batches of {maxBatch}: {InProcess(model, images, maxBatch, Math.Min(requests, 512)):F1} images/s"));

        using var server = Process.Start(new ProcessStartInfo("dotnet", [tool, "serve", model, "--urls", $"http://127.0.0.1:{port}", "--max-batch", maxBatch.ToString(CultureInfo.InvariantCulture), "--queue", "256"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            WaitReady(http, deadline);
            var name = Path.GetFileNameWithoutExtension(model);
            Console.WriteLine("clients  requests  errors  req/s   p50 ms  p99 ms  batch sizes (count)               RSS MB first/last/max  slope MB/min");
            foreach (var count in clients)
            {
                var run = Load(http, name, images, count, requests, server.Id, deadline);
                Console.WriteLine(run);
                if (DateTime.UtcNow > deadline)
                {
                    Console.WriteLine("stopped: the time bound was reached");
                    break;
                }
            }
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }

        return 0;
    }

    private static double InProcess(string model, byte[][] images, int batch, int count)
    {
        using var detector = EdDetector.Load(model);
        var decoded = images.Select(b => ImageDecoder.DecodeRgb(b, "image")).ToArray();
        var inputs = Enumerable.Range(0, count).Select(i => decoded[i % decoded.Length]).ToArray();
        var started = Stopwatch.GetTimestamp();
        detector.Predict(inputs, new PredictOptions { BatchSize = batch });
        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static void WaitReady(HttpClient http, DateTime deadline)
    {
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (http.GetAsync("/readyz").GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Thread.Sleep(200);
        }

        throw new TimeoutException("the server did not become ready in time");
    }

    private static string Load(HttpClient http, string name, byte[][] images, int clients, int requests, int serverPid, DateTime deadline)
    {
        var latencies = new List<double>();
        var batches = new Dictionary<int, int>();
        var errors = 0;
        var next = -1;
        var memory = new List<(double Seconds, double Megabytes)>();
        var started = Stopwatch.GetTimestamp();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                if (ResidentMegabytes(serverPid) is { } mb)
                {
                    lock (memory)
                    {
                        memory.Add((Stopwatch.GetElapsedTime(started).TotalSeconds, mb));
                    }
                }

                await Task.Delay(250).ConfigureAwait(false);
            }
        });
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests && DateTime.UtcNow < deadline)
            {
                var content = new ByteArrayContent(images[i % images.Length]);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync($"/v1/models/{name}/predict", content).ConfigureAwait(false);
                    var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                    var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                    lock (latencies)
                    {
                        if (!response.IsSuccessStatusCode)
                        {
                            errors++;
                            continue;
                        }

                        latencies.Add(elapsed);
                        var size = JsonDocument.Parse(body).RootElement.GetProperty("images")[0].GetProperty("timing").GetProperty("batchSize").GetInt32();
                        batches[size] = batches.GetValueOrDefault(size) + 1;
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ToArray();
        Task.WaitAll(workers);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        sampling.Cancel();
        sampler.Wait();
        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
        var sizes = string.Join(" ", batches.OrderBy(b => b.Key).Select(b => $"{b.Key}:{b.Value}"));
        var slope = Slope(memory);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{clients,7}  {latencies.Count + errors,8}  {errors,6}  {latencies.Count / seconds,5:F1}  {Percentile(0.5),6:F1}  {Percentile(0.99),6:F1}  {sizes,-32}  {memory.FirstOrDefault().Megabytes,5:F0}/{memory.LastOrDefault().Megabytes,5:F0}/{memory.Select(m => m.Megabytes).DefaultIfEmpty().Max(),5:F0}  {slope,8:F2}");
    }

    private static double? ResidentMegabytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // Least-squares slope of resident memory over the run, in MB per minute (as the soak test reports it).
    private static double Slope(List<(double Seconds, double Megabytes)> samples)
    {
        if (samples.Count < 2)
        {
            return double.NaN;
        }

        var (mx, my) = (samples.Average(s => s.Seconds), samples.Average(s => s.Megabytes));
        var sxy = samples.Sum(s => (s.Seconds - mx) * (s.Megabytes - my));
        var sxx = samples.Sum(s => (s.Seconds - mx) * (s.Seconds - mx));
        return sxx == 0 ? double.NaN : sxy / sxx * 60;
    }
}

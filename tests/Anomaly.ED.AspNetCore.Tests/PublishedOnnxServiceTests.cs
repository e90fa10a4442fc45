using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Anomaly.ED.Tests.Build;
using Anomaly.ED.Tests.Data;
using Xunit.Abstractions;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>
/// The ONNX-only service: publishes <c>samples/Anomaly.ED.OnnxService</c> (which references only Anomaly.ED.AspNetCore)
/// for linux-x64, checks that no libtorch, TorchSharp or Anomaly.ED file is in it, runs it on an export of the fixture's
/// model on a free loopback port, and compares its answer with the model in process.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed partial class PublishedOnnxServiceTests(ServiceFixture fixture, ITestOutputHelper output) : IDisposable
{
#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif

    private readonly TempDirectory folder = new();

    [LinuxX64Fact]
    public async Task ThePublishedServiceHoldsNoLibtorchAndAnswersAsTheModel()
    {
        var dotnet = new IsolatedDotnet(folder.Combine("path"));
        var published = folder.Combine("published");
        var project = Path.Combine(RepositoryRoot(), "samples", "Anomaly.ED.OnnxService");
        var publish = dotnet.Dotnet(project, "publish", "-c", BuildConfiguration, "-r", "linux-x64", "--self-contained", "false", "-o", published);
        publish.ExitCode.Should().Be(0, publish.Output);

        var files = Directory.GetFiles(published, "*", SearchOption.AllDirectories);
        output.WriteLine($"{files.Length} files, {files.Sum(f => new FileInfo(f).Length) / 1048576.0:F1} MiB");
        var names = files.Select(Path.GetFileName).ToArray();
        names.Should().Contain(new[] { "libonnxruntime.so", "Anomaly.ED.AspNetCore.dll", "Anomaly.ED.OnnxRuntime.dll", "Anomaly.ED.Core.dll", "appsettings.json" });
        names.Should().NotContain(f => f!.Contains("torch", StringComparison.OrdinalIgnoreCase) || f.StartsWith("libc10", StringComparison.Ordinal)
            || f == "Anomaly.ED.dll" || f == "Anomaly.ED.AspNetCore.EdModels.dll");

        var graph = folder.Combine("bottle.onnx");
        fixture.Detector.ExportOnnx(graph);
        using var service = Start(dotnet, published, graph);
        using var client = new HttpClient { BaseAddress = await service.ListeningAsync(), Timeout = TimeSpan.FromSeconds(60) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await client.GetAsync("/readyz")).StatusCode != HttpStatusCode.OK)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the graph should load within a minute:\n" + service.Output);
            await Task.Delay(100);
        }

        (await client.GetStringAsync("/readyz")).Should().Be("Healthy");
        var model = await client.GetFromJsonAsync<JsonElement>("/v1/models/bottle");
        model.GetProperty("kind").GetString().Should().Be("onnx");
        foreach (var path in new[] { fixture.Images[0], fixture.Images[^1] })
        {
            var bytes = await File.ReadAllBytesAsync(path);
            var expected = fixture.Detector.Predict(bytes);
            using var response = await client.PostAsync("/v1/models/bottle/predict", ServiceFixture.Image(bytes));
            response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            var image = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images").EnumerateArray().Single();
            image.GetProperty("score").GetSingle().Should().BeApproximately(expected.Score, Math.Abs(expected.Score) * 1e-5f);
            image.GetProperty("isAnomalous").GetBoolean().Should().Be(expected.IsAnomalous!.Value);
        }

        var metrics = await client.GetStringAsync("/metrics");
        metrics.Should().Contain("anomaly_ed_aspnetcore_requests").And.Contain("model=\"bottle\"", "the two predictions are counted per model");
    }

    public void Dispose() => folder.Dispose();

    // The service as a container would run it: from its folder (appsettings.json), the model on the command line.
    private static ServiceProcess Start(IsolatedDotnet dotnet, string published, string graph)
    {
        var info = new ProcessStartInfo(Path.Combine(dotnet.ToolsFolder, "dotnet"))
        {
            WorkingDirectory = published,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList =
            {
                Path.Combine(published, "Anomaly.ED.OnnxService.dll"),
                "--urls", "http://127.0.0.1:0",
                $"--AnomalyDetectionService:Models:0:Path={graph}",
            },
        };
        info.Environment["PATH"] = dotnet.ToolsFolder;
        return new ServiceProcess(Process.Start(info)!);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Anomaly.ED.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Anomaly.ED.sln) was not found above the test output.");
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();

    /// <summary>The running service: its output so far, the address Kestrel chose, and a kill on dispose.</summary>
    private sealed class ServiceProcess : IDisposable
    {
        private readonly Process process;
        private readonly System.Text.StringBuilder output = new();
        private readonly TaskCompletionSource<Uri> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ServiceProcess(Process process)
        {
            this.process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The service exited:\n" + Output));
            process.EnableRaisingEvents = true;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        public Task<Uri> ListeningAsync() => listening.Task.WaitAsync(TimeSpan.FromSeconds(60));

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            if (ListeningOn().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }
    }
}

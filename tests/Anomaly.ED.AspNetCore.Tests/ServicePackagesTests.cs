using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.AspNetCore.Tests;

/// <summary>
/// The split of the service (docs/decisions/service-split.md): the host library carries no TorchSharp, and a model file
/// configured without the EdModels package stops the host at start with a message that says what to add.
/// </summary>
public sealed class ServicePackagesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("anomaly-ed-service-packages-").FullName;

    [Fact]
    public void TheServiceAssemblyReachesNoTorchSharpAssembly()
    {
        // Every assembly of this repository the service loads, through its references, transitively.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<AssemblyName>([typeof(AnomalyDetectionServiceOptions).Assembly.GetName()]);
        var reached = new List<string>();
        while (pending.TryDequeue(out var name))
        {
            if (!seen.Add(name.Name!))
            {
                continue;
            }

            reached.Add(name.Name!);
            if (name.Name!.StartsWith("Anomaly.ED", StringComparison.Ordinal))
            {
                foreach (var reference in Assembly.Load(name).GetReferencedAssemblies())
                {
                    pending.Enqueue(reference);
                }
            }
        }

        reached.Should().Contain(new[] { "Anomaly.ED.Core", "Anomaly.ED.OnnxRuntime", "Microsoft.ML.OnnxRuntime" });
        reached.Should().NotContain(n => n.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || n == "Anomaly.ED" || n == "Anomaly.ED.AspNetCore.EdModels");
        typeof(AnomalyDetectionServiceOptions).Assembly.GetReferencedAssemblies().Select(a => a.Name).Should().NotContain(new[] { "Anomaly.ED", "TorchSharp" });
    }

    [Fact]
    public async Task AModelFileWithoutTheEdModelsRegistrationStopsTheHostAtStart()
    {
        var model = Path.Combine(folder, "bottle.edmodel");
        await File.WriteAllBytesAsync(model, [0]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAnomalyDetectionService(o => o.Models.Add(new ServedModelOptions { Path = model }));
        await using var app = builder.Build();
        app.MapAnomalyDetection();

        var error = (await app.Invoking(a => a.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which.Message;
        error.Should().Contain($"Models[0].Path '{model}' is an Anomaly.ED model file (.edmodel)")
            .And.Contain("package Anomaly.ED.AspNetCore.EdModels")
            .And.Contain("services.AddEdModelFiles()");
    }

    [Fact]
    public void TheEdModelsRegistrationChecksThePrecisionOnlyWhereAModelFileIsServed()
    {
        var model = Path.Combine(folder, "bottle.edmodel");
        var graph = Path.Combine(folder, "bottle.onnx");
        File.WriteAllBytes(model, [0]);
        File.WriteAllBytes(graph, [0]);

        Problems(model, "float8").Should().Contain("Runtime.Precision 'float8' is not float32, bfloat16, float16");
        Problems(graph, "float8").Should().BeNull("an exported graph computes in float32 whatever the precision");
        Problems(model, "BFloat16").Should().BeNull();

        static string? Problems(string path, string precision)
        {
            var services = new ServiceCollection().AddLogging().AddEdModelFiles().AddEdModelFiles();
            services.AddAnomalyDetectionService(o =>
            {
                o.Models.Add(new ServedModelOptions { Path = path });
                o.Runtime.Precision = precision;
            });
            using var provider = services.BuildServiceProvider();
            try
            {
                _ = provider.GetRequiredService<IOptions<AnomalyDetectionServiceOptions>>().Value;
                return null;
            }
            catch (OptionsValidationException e)
            {
                return e.Message;
            }
        }
    }

    [Fact]
    public void AnUnknownKindOfFileNamesTheKindsThatAreRegistered()
    {
        var other = Path.Combine(folder, "bottle.pt");
        File.WriteAllBytes(other, [0]);
        var services = new ServiceCollection().AddLogging();
        services.AddAnomalyDetectionService(o => o.Models.Add(new ServedModelOptions { Path = other }));
        using (var provider = services.BuildServiceProvider())
        {
            provider.Invoking(p => p.GetRequiredService<IOptions<AnomalyDetectionServiceOptions>>().Value)
                .Should().Throw<OptionsValidationException>().WithMessage("*'*bottle.pt' is not a kind of model this service hosts (.onnx)*");
        }

        services.AddEdModelFiles();
        using (var provider = services.BuildServiceProvider())
        {
            provider.Invoking(p => p.GetRequiredService<IOptions<AnomalyDetectionServiceOptions>>().Value)
                .Should().Throw<OptionsValidationException>().WithMessage("*(.edmodel, .onnx)*");
        }
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}

using Anomaly.ED.Cli.Export;
using Anomaly.ED.Cli.Output;
using Anomaly.ED.Cli.Progress;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Anomaly.ED.Cli.Commands;

/// <summary><c>export</c>: writes a model as an ONNX graph, alone or as a Triton model repository.</summary>
internal sealed class ExportCommand(IAnsiConsole console) : CliCommand<ExportSettings>(console)
{
    protected override Task<int> RunAsync(ExportSettings settings, ProgressDisplay display, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        using var detector = settings.Load(loggerFactory);
        var output = Path.GetFullPath(settings.Output);
        if (!settings.IsTriton)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            Written(output, detector.ExportOnnx(output));
            return Task.FromResult(ExitCodes.Success);
        }

        var folder = Path.Combine(output, settings.TritonName);
        var version = Path.Combine(folder, "1");
        Directory.CreateDirectory(version);
        var model = Path.Combine(version, TritonConfig.ModelFileName);
        Written(model, detector.ExportOnnx(model));
        var config = Path.Combine(folder, TritonConfig.FileName);
        OutputFiles.WriteText(config, TritonConfig.For(model, settings.TritonName, settings.MaxBatch));
        Line($"triton config: {config}");
        return Task.FromResult(ExitCodes.Success);
    }

    private void Written(string model, string? externalData)
    {
        Line($"onnx: {model}");
        if (externalData is not null)
        {
            Line($"external data: {externalData} (keep it beside the model)");
        }
    }
}

using Anomaly.ED.Cli.Datasets;
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
        var calibration = CalibrationImages(settings, loggerFactory);
        var output = Path.GetFullPath(settings.Output);
        if (!settings.IsTriton)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            Written(output, Export(detector, output, calibration, cancellationToken));
            return Task.FromResult(ExitCodes.Success);
        }

        var folder = Path.Combine(output, settings.TritonName);
        var version = Path.Combine(folder, "1");
        Directory.CreateDirectory(version);
        var model = Path.Combine(version, TritonConfig.ModelFileName);
        Written(model, Export(detector, model, calibration, cancellationToken));
        var config = Path.Combine(folder, TritonConfig.FileName);
        OutputFiles.WriteText(config, TritonConfig.For(model, settings.TritonName, settings.MaxBatch));
        Line($"triton config: {config}");
        return Task.FromResult(ExitCodes.Success);
    }

    private static string? Export(EdDetector detector, string path, string[]? calibration, CancellationToken cancellationToken) =>
        calibration is null ? detector.ExportOnnx(path) : detector.ExportOnnxInt8(path, calibration, cancellationToken: cancellationToken);

    // int8: up to --calibration-images of the calibration folder's normal images, spread evenly over its sorted list.
    private string[]? CalibrationImages(ExportSettings settings, ILoggerFactory loggerFactory)
    {
        if (!settings.IsInt8)
        {
            return null;
        }

        var normal = DatasetFolder.Locate(settings.Calibration!, DatasetLayout.Auto).OpenTraining(loggerFactory.CreateLogger<ExportCommand>()).Items
            .Where(item => !item.IsDefective).Select(item => item.ImagePath).Order(StringComparer.Ordinal).ToArray();
        var count = Math.Min(settings.CalibrationImages, normal.Length);
        var images = Enumerable.Range(0, count).Select(i => normal[(int)((long)i * normal.Length / count)]).ToArray();
        Line($"calibration: {images.Length} of {normal.Length} normal images in {settings.Calibration}");
        return images;
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

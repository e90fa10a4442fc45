using Microsoft.Extensions.Logging;

namespace Anomaly.ED.AspNetCore.Models;

/// <summary>
/// Loads one kind of model file, chosen by its extension. The service registers the loader of exported graphs
/// (<see cref="OnnxModelLoader"/>); <c>AddEdModelFiles</c> (package Anomaly.ED.AspNetCore.EdModels) adds the one of
/// <c>.edmodel</c> files, so that the service itself needs no TorchSharp. Registered as singletons in DI.
/// </summary>
internal interface IServedModelLoader
{
    /// <summary>The file extension it loads, with its dot (<c>.onnx</c>), compared without regard to case.</summary>
    string Extension { get; }

    /// <summary>The kind of model the API reports (<c>onnx</c>), the same as its models' <see cref="IServedModel.Kind"/>.</summary>
    string Kind { get; }

    /// <summary>Loads and warms up the model at <paramref name="path"/> to run as <paramref name="runtime"/> says.</summary>
    IServedModel Load(string path, RuntimeOptions runtime, ILoggerFactory loggerFactory);
}

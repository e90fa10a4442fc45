using Microsoft.Extensions.Logging;

namespace Anomaly.ED.AspNetCore.Models;

/// <summary>Loads exported graphs (<c>.onnx</c>) with ONNX Runtime: the kind of model the service hosts on its own.</summary>
internal sealed class OnnxModelLoader : IServedModelLoader
{
    public string Extension => ".onnx";

    public string Kind => OnnxServedModel.KindName;

    public IServedModel Load(string path, RuntimeOptions runtime, ILoggerFactory loggerFactory) => OnnxServedModel.Load(path, runtime, loggerFactory);
}

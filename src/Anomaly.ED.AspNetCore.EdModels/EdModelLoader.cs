using Anomaly.ED.AspNetCore.Models;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.AspNetCore.EdModels;

/// <summary>Loads model files (<c>.edmodel</c>) as <see cref="EdDetector"/>s on TorchSharp, for the service's catalog.</summary>
internal sealed class EdModelLoader : IServedModelLoader
{
    public const string FileExtension = ".edmodel";

    public string Extension => FileExtension;

    public string Kind => EdServedModel.KindName;

    public IServedModel Load(string path, RuntimeOptions runtime, ILoggerFactory loggerFactory) => EdServedModel.Load(path, runtime, loggerFactory);
}

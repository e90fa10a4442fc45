namespace Anomaly.ED.Pretrained;

/// <summary>The NuGet package that ships ML.NET's ImageNet ResNet18 as ONNX, and where its files are.</summary>
internal static class MlNetResNet18Package
{
    /// <summary>The package id.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The catalog name of its weights.</summary>
    public const string CheckpointName = "resnet18.mlnet_in1k";

    /// <summary>The network file: in the package, and in the application output (the package's build step copies <c>tools/DnnImageModels</c> there).</summary>
    public static NuGetPackageFile Network { get; } = new(PackageId, "0.23.1", "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx", "DnnImageModels/ResNet18Onnx/ResNet18.onnx");
}

using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>Named tensors in a weights file, read one at a time: the common view of safetensors, PyTorch and imported ONNX weights.</summary>
internal interface IStateDictSource : IDisposable
{
    /// <summary>The file the tensors come from, for messages.</summary>
    string FilePath { get; }

    /// <summary>The tensor names and shapes, in file order.</summary>
    IReadOnlyList<KeyValuePair<string, long[]>> Shapes { get; }

    /// <summary>Reads one tensor into a new tensor the caller owns.</summary>
    Tensor Read(string name);
}

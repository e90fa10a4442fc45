using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Anomaly.ED.Runtime;

/// <summary>Copies and hashes of tensors whose intermediate views are released at once instead of waiting for the finalizer.</summary>
internal static class TensorCopies
{
    /// <summary>A detached copy on the CPU that belongs to no dispose scope; the caller disposes it.</summary>
    public static Tensor DetachedCpuCopy(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().clone().DetachFromDisposeScope();
    }

    /// <summary>Adds the name, dtype, shape and contiguous little-endian bytes of a tensor to a hash.</summary>
    public static void AppendTo(IncrementalHash hash, string name, Tensor tensor)
    {
        hash.AppendData(Encoding.UTF8.GetBytes($"{name}|{tensor.dtype}|{string.Join(",", tensor.shape)}\n"));
        using var scope = NewDisposeScope();
        hash.AppendData(tensor.detach().cpu().contiguous().bytes);
    }
}

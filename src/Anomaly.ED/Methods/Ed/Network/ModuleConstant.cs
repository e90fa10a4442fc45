using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// A fixed tensor owned by a module that must follow the module's device and type but stay out of its state dict
/// (PyTorch's non-persistent buffer). TorchSharp 0.107 neither moves nor disposes non-persistent buffers (its
/// <c>named_buffers</c> skips them), so owners hold the tensor here, move it in <c>_toEpilog</c> and dispose it.
/// Not being a <see cref="Tensor"/> field, it is also invisible to <c>RegisterComponents</c>.
/// </summary>
internal sealed class ModuleConstant : IDisposable
{
    public ModuleConstant(Tensor value)
    {
        Value = value.DetachFromDisposeScope();
    }

    public Tensor Value { get; private set; }

    /// <summary>Converts floating-point values to <paramref name="dtype"/> and moves to <paramref name="device"/> (either may be null).</summary>
    public void MoveTo(ScalarType? dtype, Device? device)
    {
        var targetType = dtype is { } t && torch.is_floating_point(Value) ? t : Value.dtype;
        var targetDevice = device ?? Value.device;
        if (targetType == Value.dtype && targetDevice.type == Value.device_type && targetDevice.index == Value.device_index)
        {
            return;
        }

        var moved = Value.to(targetType, targetDevice).DetachFromDisposeScope();
        Value.Dispose();
        Value = moved;
    }

    public void Dispose() => Value.Dispose();
}

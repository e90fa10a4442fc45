using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Anomaly.ED.Runtime;

/// <summary>
/// Turns libtorch's NNPACK convolutions off for the whole process, as <c>torch.backends.nnpack.set_flags(False)</c>
/// does in Python; TorchSharp 0.107 has no binding for it, so the flag is set through libtorch's exported
/// <c>at::Context::setUserEnabledNNPACK</c>.
/// </summary>
/// <remarks>
/// libtorch asks NNPACK to initialise (<c>at::_nnpack_available()</c>) for every float convolution that oneDNN declines
/// (a small one at batch 1, as in ED's level networks), and where NNPACK cannot initialise (many AMD EPYC and virtual
/// machines) it logs <c>Could not initialize NNPACK! Reason: Unsupported hardware.</c> at each such call before running
/// its own kernel. With the flag off it never asks: no line, and every machine runs the same kernel, so results do not
/// depend on whether NNPACK initialised.
/// </remarks>
internal static class Nnpack
{
    // Itanium C++ ABI names (Linux, macOS); libtorch_cpu exports them. Windows builds of libtorch have no NNPACK.
    private const string GlobalContext = "_ZN2at13globalContextEv";
    private const string SetUserEnabled = "_ZN2at7Context20setUserEnabledNNPACKEb";
    private const string UserEnabled = "_ZNK2at7Context17userEnabledNNPACKEv";

    private static readonly Lazy<bool> Disabled = new(DisableOnce);

    /// <summary>Turns NNPACK off once per process; later calls do nothing.</summary>
    /// <returns>Whether NNPACK is off (false where libtorch's context cannot be reached, as on Windows).</returns>
    public static bool Disable() => Disabled.Value;

    /// <summary>libtorch's NNPACK flag; null where libtorch's context cannot be reached.</summary>
    public static unsafe bool? IsEnabled() =>
        Context() is var (context, library) && NativeLibrary.TryGetExport(library, UserEnabled, out var get)
            ? ((delegate* unmanaged<IntPtr, byte>)get)(context) != 0
            : null;

    private static unsafe bool DisableOnce()
    {
        if (Context() is not var (context, library) || !NativeLibrary.TryGetExport(library, SetUserEnabled, out var set))
        {
            return false;
        }

        ((delegate* unmanaged<IntPtr, byte, void>)set)(context, 0);
        return IsEnabled() == false;
    }

    private static unsafe (IntPtr Context, IntPtr Library)? Context()
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        // Loads TorchSharp's native libraries first; libtorch_cpu is then already in the process and found by name.
        _ = get_num_threads();
        var name = OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so";
        if (!NativeLibrary.TryLoad(name, typeof(TorchSharp.torch).Assembly, null, out var library)
            || !NativeLibrary.TryGetExport(library, GlobalContext, out var globalContext))
        {
            return null;
        }

        return (((delegate* unmanaged<IntPtr>)globalContext)(), library);
    }
}

using static TorchSharp.torch;

namespace Anomaly.ED.Tests;

public sealed class TorchSharpRuntimeTests
{
    [Fact]
    public void NativeLibraryLoadsAndComputes()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var product = a.matmul(a);
        product.data<float>().ToArray().Should().Equal(7f, 10f, 15f, 22f);
    }
}

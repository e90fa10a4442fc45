using System.Globalization;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.TestSupport;

/// <summary>Element-wise tensor comparisons with messages that name the tensor and the worst element.</summary>
public static class TensorAssert
{
    /// <summary>Asserts |actual - expected| &lt;= atol + rtol * |expected| for every element, and equal shapes.</summary>
    public static void AllClose(Tensor actual, Tensor expected, double atol, double rtol, string name)
    {
        actual.shape.Should().Equal(expected.shape, $"shape of '{name}'");
        using var scope = NewDisposeScope();
        var a = actual.detach().to(ScalarType.Float64).cpu();
        var e = expected.detach().to(ScalarType.Float64).cpu();
        var diff = (a - e).abs();
        var bound = e.abs() * rtol + atol;
        var excess = diff - bound;
        var violations = (excess > 0).sum().item<long>();
        if (violations == 0)
        {
            return;
        }

        var worst = excess.flatten().argmax().item<long>();
        var flatA = a.flatten();
        var flatE = e.flatten();
        var message = string.Format(
            CultureInfo.InvariantCulture,
            "'{0}': {1} of {2} elements outside atol {3:G3} + rtol {4:G3}; worst flat index {5}: actual {6:G9}, expected {7:G9}, |diff| {8:G3}; max |diff| {9:G3}",
            name, violations, e.numel(), atol, rtol, worst,
            flatA[worst].item<double>(), flatE[worst].item<double>(), diff.flatten()[worst].item<double>(), diff.max().item<double>());
        throw new Xunit.Sdk.XunitException(message);
    }

    /// <summary>Asserts bitwise-equal values and equal shapes (integers, masks, exact inputs).</summary>
    public static void Equal(Tensor actual, Tensor expected, string name)
    {
        actual.shape.Should().Equal(expected.shape, $"shape of '{name}'");
        using var scope = NewDisposeScope();
        var equal = actual.cpu().eq(expected.cpu().to(actual.dtype));
        var mismatches = (~equal).sum().item<long>();
        mismatches.Should().Be(0, $"'{name}' must equal the golden tensor exactly");
    }
}

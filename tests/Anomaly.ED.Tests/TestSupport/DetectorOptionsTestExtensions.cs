using Anomaly.ED.Methods.Ed;

namespace Anomaly.ED.Tests.TestSupport;

/// <summary>The ED settings group of options in tests, created when the test sets it first.</summary>
internal static class DetectorOptionsTestExtensions
{
    public static EdOptions EdSettings(this DetectorOptions options) => options.Ed ??= new EdOptions();
}

using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Methods.Hetmm;

namespace Anomaly.ED.Methods;

/// <summary>The one place where methods are registered: one descriptor per <see cref="DetectorMethod"/>.</summary>
internal static class MethodRegistry
{
    public static IReadOnlyList<MethodDescriptor> All { get; } =
    [
        new EdMethodDescriptor(DetectorMethod.Ed),
        new EdMethodDescriptor(DetectorMethod.Fod),
        new HetmmMethodDescriptor(),
    ];

    public static MethodDescriptor Get(DetectorMethod method) =>
        All.FirstOrDefault(d => d.Method == method)
        ?? throw new ArgumentOutOfRangeException(nameof(method), method, $"Method {method} is not registered; see docs/architecture.md, 'Adding a method'.");
}

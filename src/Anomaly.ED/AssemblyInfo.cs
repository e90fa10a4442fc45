using System.Runtime.CompilerServices;
using Anomaly.ED;

[assembly: CLSCompliant(false)]

// RuntimeOptions moved to Anomaly.ED.Core (plain data a host without TorchSharp carries); binaries built against this
// assembly find it there.
[assembly: TypeForwardedTo(typeof(RuntimeOptions))]

using Anomaly.ED.Runtime;
using Anomaly.ED.Samples.Datasets;

// Large, short-lived tensors: keep freed native memory for reuse (docs/benchmarks.md).
NativeHeap.RetainFreedMemory();

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops training cleanly; a second one ends the process.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

return await DatasetsRunner.RunCommandLineAsync(args, Console.Out, Console.Error, cancellation.Token);

using Anomaly.ED.Samples.QuickStart;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops training cleanly; a second one ends the process.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

return await QuickStartRunner.RunCommandLineAsync(args, Console.Out, Console.Error, cancellation.Token);

using Anomaly.ED.Cli.Output;
using Anomaly.ED.Cli.Progress;
using Spectre.Console.Testing;

namespace Anomaly.ED.Cli.Tests.Output;

public sealed class PanelWriterTests : IDisposable
{
    private readonly TestConsole console = new();
    private readonly string folder = Directory.CreateTempSubdirectory("anomaly-ed-panels").FullName;

    [Fact]
    public async Task Panels_are_drawn_while_the_caller_goes_on_and_the_queue_is_bounded()
    {
        using var release = new ManualResetEventSlim();
        using var writer = new PanelWriter(new PlainProgressDisplay(console, TimeSpan.Zero), 100, CancellationToken.None);
        var queued = 0;

        // Every worker blocks on its first panel: the caller can queue Capacity more, then Add waits.
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                var name = Path.Combine(folder, $"{i}.png");
                writer.Add(() =>
                {
                    release.Wait();
                    return (name, [1, 2, 3]);
                });
                Interlocked.Increment(ref queued);
            }
        });
        await Task.Delay(500);
        Volatile.Read(ref queued).Should().BeLessThanOrEqualTo(writer.Capacity + Environment.ProcessorCount, "the queue holds at most Capacity panels besides those being drawn");
        producer.IsCompleted.Should().BeFalse();

        release.Set();
        (await Task.WhenAny(producer, Task.Delay(TimeSpan.FromSeconds(30)))).Should().BeSameAs(producer);
        writer.Complete().Should().Be(100);
        Directory.GetFiles(folder, "*.png").Should().HaveCount(100);
    }

    [Fact]
    public void A_failed_panel_is_rethrown_by_Complete()
    {
        using var writer = new PanelWriter(new PlainProgressDisplay(console, TimeSpan.Zero), 1, CancellationToken.None);

        writer.Add(() => throw new InvalidDataException("bad map"));

        writer.Invoking(w => w.Complete()).Should().Throw<InvalidDataException>().WithMessage("bad map");
    }

    public void Dispose()
    {
        console.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}

using System.Collections.Concurrent;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Tests.Detector;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>Many threads on one detector and several detectors in one process: no crash, no deadlock, results equal to sequential calls, and disposal during predictions ends them cleanly.</summary>
[Collection(DetectorCollection.Name)]
public sealed class ConcurrencyTests(TinyDetectorFixture fixture)
{
    private const int Threads = 8;

    [Fact]
    public async Task EightThreadsPredictWhileEvaluationAndCalibrationInterleave()
    {
        var paths = fixture.Test.Items.Select(i => i.ImagePath).ToArray();
        var expected = paths.Select(p => fixture.Detector.Predict(p).Score).ToArray();
        var report = fixture.Detector.Evaluate(fixture.Test);
        var original = fixture.Detector.Calibration;
        var errors = new ConcurrentQueue<Exception>();
        var predictions = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(6));

        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                for (var k = t; !stop.IsCancellationRequested; k++)
                {
                    var i = k % paths.Length;
                    var score = fixture.Detector.Predict(paths[i]).Score;
                    if (Math.Abs(score - expected[i]) > 1e-5f)
                    {
                        errors.Enqueue(new InvalidOperationException($"thread {t}: {paths[i]} scored {score}, sequentially {expected[i]}"));
                    }

                    Interlocked.Increment(ref predictions);
                }
            },
            TaskCreationOptions.LongRunning)).ToList();
        var evaluations = 0;
        workers.Add(Task.Factory.StartNew(
            () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    fixture.Detector.Evaluate(fixture.Test).Overall.Should().BeEquivalentTo(report.Overall);
                    fixture.Detector.SetCalibration(new Calibration(0.5));
                    fixture.Detector.CalibrateFromNormals(fixture.Training, 0.1);
                    evaluations++;
                }
            },
            TaskCreationOptions.LongRunning));

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(120)); // a deadlock ends in a TimeoutException
        fixture.Detector.SetCalibration(original);

        errors.Should().BeEmpty();
        predictions.Should().BeGreaterThan(Threads);
        evaluations.Should().BeGreaterThan(0);
    }

    [Fact]
    public void SeveralDetectorsInOneProcessGiveTheirOwnResults()
    {
        using var fod = TinyDetectorFixture.NewBuilder(epochs: 1).UseFod().Build();
        fod.Fit(fixture.Training);
        var paths = fixture.Test.Items.Take(6).Select(i => i.ImagePath).ToArray();
        var edScores = paths.Select(p => fixture.Detector.Predict(p).Score).ToArray();
        var fodScores = paths.Select(p => fod.Predict(p).Score).ToArray();

        var both = new float[2][];
        Parallel.Invoke(
            () => both[0] = paths.SelectMany(p => Enumerable.Repeat(p, 3)).AsParallel().AsOrdered().Select(p => fixture.Detector.Predict(p).Score).Where((_, k) => k % 3 == 0).ToArray(),
            () => both[1] = paths.SelectMany(p => Enumerable.Repeat(p, 3)).AsParallel().AsOrdered().Select(p => fod.Predict(p).Score).Where((_, k) => k % 3 == 0).ToArray());

        both[0].Should().Equal(edScores, (a, b) => Math.Abs(a - b) <= 1e-5f);
        both[1].Should().Equal(fodScores, (a, b) => Math.Abs(a - b) <= 1e-5f);
    }

    [Fact]
    public async Task DisposingWhilePredictionsRunEndsThemWithObjectDisposedException()
    {
        var path = fixture.NewTempPath("model.edmodel");
        fixture.Detector.Save(path);
        var image = fixture.Test.Items[0].ImagePath;
        for (var round = 0; round < 3; round++)
        {
            var detector = EdDetector.Load(path);
            var outcomes = new ConcurrentBag<string>();
            using var started = new CountdownEvent(Threads);
            var workers = Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(
                () =>
                {
                    started.Signal();
                    try
                    {
                        while (true)
                        {
                            detector.Predict(image);
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        outcomes.Add("disposed");
                    }
                    catch (Exception e)
                    {
                        outcomes.Add(e.GetType().Name + ": " + e.Message);
                    }
                },
                TaskCreationOptions.LongRunning)).ToArray();
            started.Wait();
            await Task.Delay(50 * (round + 1));

            detector.Dispose();

            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
            outcomes.Should().HaveCount(Threads).And.AllBe("disposed");
            detector.Dispose();
        }
    }
}

using System.Text;
using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Formats;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Training;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace Anomaly.ED.Tests.Detector;

[Collection(DetectorCollection.Name)]
public sealed class EdDetectorLifecycleTests
{
    private readonly TinyDetectorFixture fixture;

    public EdDetectorLifecycleTests(TinyDetectorFixture fixture) => this.fixture = fixture;

    [Fact]
    public void SaveAndLoadGiveIdenticalPredictions()
    {
        var path = fixture.NewTempPath("model.edmodel");
        fixture.Detector.Save(path);
        using var loaded = EdDetector.Load(path);
        loaded.IsFitted.Should().BeTrue();
        foreach (var item in fixture.Test.Items.Take(6))
        {
            var expected = fixture.Detector.Predict(item.ImagePath);
            var actual = loaded.Predict(item.ImagePath);
            actual.Score.Should().Be(expected.Score);
            actual.Map.Values.Should().Equal(expected.Map.Values);
        }

        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().Equal([path], "the save leaves no temporary file");
    }

    [Fact]
    public void CalibrationTravelsWithTheModel()
    {
        using var detector = TinyDetectorFixture.NewBuilder(epochs: 1).Build();
        detector.Fit(fixture.Training);
        detector.SetCalibration(new Anomaly.ED.Evaluation.Calibration(0.5));
        var path = fixture.NewTempPath("calibrated.edmodel");
        detector.Save(path);
        using var loaded = EdDetector.Load(path);
        loaded.Calibration.Should().Be(new Anomaly.ED.Evaluation.Calibration(0.5));
    }

    [Fact]
    public void TamperedTruncatedForeignAndNewerFilesAreRefused()
    {
        var path = fixture.NewTempPath("model.edmodel");
        fixture.Detector.Save(path);
        var bytes = File.ReadAllBytes(path);

        var tampered = fixture.NewTempPath("tampered.edmodel");
        var changed = (byte[])bytes.Clone();
        changed[^5] ^= 0x40;
        File.WriteAllBytes(tampered, changed);
        var load = () => EdDetector.Load(tampered);
        load.Should().Throw<ModelFileException>().WithMessage("*tampered*modified after it was written*").Which.FilePath.Should().Be(tampered);

        var truncated = fixture.NewTempPath("truncated.edmodel");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        load = () => EdDetector.Load(truncated);
        load.Should().Throw<ModelFileException>().WithMessage("*truncated.edmodel*truncated or corrupt*");

        var foreign = fixture.NewTempPath("foreign.safetensors");
        using (var scope = torch.NewDisposeScope())
        {
            SafetensorsWriter.Save(foreign, [new("x", torch.zeros(2))]);
        }

        load = () => EdDetector.Load(foreign);
        load.Should().Throw<ModelFileException>().WithMessage("*not an Anomaly.ED model*");

        var newer = fixture.NewTempPath("newer.edmodel");
        File.WriteAllBytes(newer, RewriteMetadata(bytes, "\"format_version\":\"3\"", "\"format_version\":\"9\""));
        load = () => EdDetector.Load(newer);
        load.Should().Throw<ModelFileException>().WithMessage("*format version 9*newer*");
    }

    [Fact]
    public void BackboneWeightsMustMatchTheModel()
    {
        var modelPath = fixture.NewTempPath("external.edmodel");
        var weightsPath = fixture.NewTempPath("resnet18.safetensors");
        var otherWeightsPath = fixture.NewTempPath("resnet18-other.safetensors");
        SaveRandomBackbone(weightsPath, seed: 1);
        SaveRandomBackbone(otherWeightsPath, seed: 2);

        using (var detector = TinyDetectorFixture.NewBuilder(epochs: 1).WithBackbone("resnet18", weightsPath).Build())
        {
            detector.Fit(fixture.Training);
            detector.Save(modelPath);
        }

        using (var loaded = EdDetector.Load(modelPath, new LoadOptions { BackboneWeightsPath = weightsPath }))
        {
            loaded.IsFitted.Should().BeTrue();
        }

        var wrong = () => EdDetector.Load(modelPath, new LoadOptions { BackboneWeightsPath = otherWeightsPath });
        wrong.Should().Throw<ModelFileException>().WithMessage("*backbone weights given*differ*");
    }

    [Fact]
    public void InvalidOptionsAreAllReportedAtBuild()
    {
        var build = () => new EdDetectorBuilder()
            .WithBackbone("resnet9000")
            .WithLevels(["layer2", "layer7"], [30])
            .WithEpochs(0)
            .UseDevice("tpu")
            .Build();
        var failures = build.Should().Throw<OptionsValidationException>().Which.Failures.ToArray();
        failures.Should().Contain(f => f.Contains("resnet9000") && f.Contains("wide_resnet50_2"));
        failures.Should().Contain(f => f.Contains("layer7"));
        failures.Should().Contain(f => f.Contains("ModelDimensions has 1 entries"));
        failures.Should().Contain(f => f.Contains("30") && f.Contains("multiple of 4"));
        failures.Should().Contain(f => f.Contains("Epochs = 0"));
        failures.Should().Contain(f => f.Contains("Device 'tpu'"));
        failures.Should().Contain(f => f.Contains("No backbone weights"));
    }

    [Fact]
    public void MisuseGivesClearErrors()
    {
        using var detector = TinyDetectorFixture.NewBuilder(epochs: 1).Build();
        var predict = () => detector.Predict(fixture.Test.Items[0].ImagePath);
        predict.Should().Throw<InvalidOperationException>().WithMessage("*not been fitted*");

        var fitDefects = () => detector.Fit(fixture.Test);
        fitDefects.Should().Throw<ArgumentException>().WithMessage("*defective images*normal images only*");

        detector.Fit(fixture.Training);
        var notAnImage = fixture.NewTempPath("notes.png");
        File.WriteAllText(notAnImage, "this is not a PNG");
        var bad = () => detector.Predict(notAnImage);
        bad.Should().Throw<ImageDecodeException>().Which.FilePath.Should().Be(notAnImage);

        var missing = () => EdDetector.Load(fixture.NewTempPath("missing.edmodel"));
        missing.Should().Throw<FileNotFoundException>();
    }

    [Fact]
    public void CancellationKeepsTheLastCompleteEpoch()
    {
        using var detector = TinyDetectorFixture.NewBuilder(epochs: 3).Build();
        detector.Fit(fixture.Training);
        var path = fixture.Test.Items[^1].ImagePath;
        var before = detector.Predict(path).Score;

        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Epoch == 2 && p.Step == 2)
            {
                cts.Cancel();
            }
        });
        var fit = () => detector.Fit(fixture.Training, progress: progress, cancellationToken: cts.Token);
        fit.Should().Throw<OperationCanceledException>();

        detector.IsFitted.Should().BeTrue();
        var after = detector.Predict(path).Score;
        after.Should().NotBe(before, "the first epoch of the cancelled run completed and is kept");

        // The kept state is exactly the end of epoch 1 of a fresh run with the same seed.
        using var reference = TinyDetectorFixture.NewBuilder(epochs: 1).Build();
        reference.Fit(fixture.Training);
        reference.Predict(path).Score.Should().Be(after);
    }

    [Fact]
    public void AFailedFitLeavesTheDetectorAsItWas()
    {
        using var detector = TinyDetectorFixture.NewBuilder(epochs: 1).Build();
        detector.Fit(fixture.Training);
        var path = fixture.Test.Items[0].ImagePath;
        var before = detector.Predict(path).Score;

        var corrupt = fixture.NewTempPath("corrupt.png");
        File.WriteAllBytes(corrupt, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var items = fixture.Training.Items.Append(new DatasetItem(corrupt, AnomalyLabel.Normal, "good", null));
        var fit = () => detector.Fit(new ImageDataset("with-corrupt-file", items));
        fit.Should().Throw<ImageDecodeException>().Which.FilePath.Should().Be(corrupt);

        detector.IsFitted.Should().BeTrue();
        detector.Predict(path).Score.Should().Be(before);
    }

    [Fact]
    public void CheckpointResumesToTheSameWeightsAsAnUninterruptedRun()
    {
        var checkpoint = fixture.NewTempPath("training.edcheckpoint");
        using var cts = new CancellationTokenSource();
        using (var interrupted = TinyDetectorFixture.NewBuilder(epochs: 3).Build())
        {
            var progress = new SynchronousProgress<TrainingProgress>(p =>
            {
                if (p.Epoch == 3 && p.Step == 1)
                {
                    cts.Cancel();
                }
            });
            var fit = () => interrupted.Fit(fixture.Training, new FitOptions { CheckpointPath = checkpoint }, progress, cts.Token);
            fit.Should().Throw<OperationCanceledException>();
        }

        File.Exists(checkpoint).Should().BeTrue();
        using var resumed = TinyDetectorFixture.NewBuilder(epochs: 3).Build();
        resumed.Fit(fixture.Training, new FitOptions { CheckpointPath = checkpoint });

        using var uninterrupted = TinyDetectorFixture.NewBuilder(epochs: 3).Build();
        uninterrupted.Fit(fixture.Training);
        using var twoEpochs = TinyDetectorFixture.NewBuilder(epochs: 2).Build();
        twoEpochs.Fit(fixture.Training);

        // Resumed training matches the uninterrupted run closely (measured: 3e-3 relative), while stopping after the
        // checkpointed epoch or restarting from scratch would differ by about 10 %.
        var path = fixture.Test.Items[0].ImagePath;
        var expected = uninterrupted.Predict(path).Score;
        resumed.Predict(path).Score.Should().BeApproximately(expected, 0.01f * expected);
        Math.Abs(twoEpochs.Predict(path).Score - expected).Should().BeGreaterThan(0.03f * expected);
    }

    [Fact]
    public void ValidationSelectsTheBestEpochAndCalibrates()
    {
        using var detector = TinyDetectorFixture.NewBuilder(epochs: 3).Build();
        var result = detector.Fit(fixture.Training, new FitOptions
        {
            ValidationFraction = 0.25,
            Selection = WeightSelection.Best,
            CalibrationFalsePositiveRate = 0.25,
        });

        result.ValidationMetric.Should().Be("heldout_reconstruction_loss");
        result.ValidationHistory.Should().HaveCount(3);
        result.SelectedEpoch.Should().Be(Array.IndexOf(result.ValidationHistory.ToArray(), result.ValidationHistory.Min()) + 1);
        detector.Calibration.Should().NotBeNull();
    }

    [Fact]
    public void PredictionDoesNotLeakTensors()
    {
        var path = fixture.Test.Items[0].ImagePath;
        fixture.Detector.Predict(path);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 50; i++)
        {
            fixture.Detector.Predict(path);
        }

        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }

    private static void SaveRandomBackbone(string path, int seed)
    {
        torch.random.manual_seed(seed);
        using var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer2", "layer3"]);
        extractor.Network.SaveSafetensors(path);
    }

    private static byte[] RewriteMetadata(byte[] file, string from, string to)
    {
        var headerLength = (int)BitConverter.ToUInt64(file, 0);
        var header = Encoding.UTF8.GetString(file, 8, headerLength);
        header.Should().Contain(from);
        var newHeader = Encoding.UTF8.GetBytes(header.Replace(from, to, StringComparison.Ordinal));
        newHeader.Length.Should().Be(headerLength, "the replacement keeps the header length");
        var result = (byte[])file.Clone();
        newHeader.CopyTo(result, 8);
        return result;
    }

    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}

using Anomaly.ED.Data;
using Anomaly.ED.Tests.Data;
using Anomaly.ED.Tests.Hosting;
using Anomaly.ED.Visualization;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Tests.Runtime;

public sealed class WarmUpTests
{
    [Fact]
    public void Load_scores_one_blank_image_unless_asked_not_to_and_predicts_the_same_either_way()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "model.edmodel");
        var image = Path.Combine(folder.Path, "normal.png");
        PngFile.Write(new ImageBuffer(32, 32, 3, [.. Enumerable.Range(0, 32 * 32 * 3).Select(i => (byte)(i * 7))]), image);
        using (var detector = new EdDetectorBuilder().UseHetmm("default").WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(32).Build())
        {
            detector.AddNormalImages(new ImageDataset("one", [new DatasetItem(image, AnomalyLabel.Normal, "good", null)]));
            detector.Save(path);
        }

        float Score(bool warmUp, out IReadOnlyList<CollectingLoggerProvider.LogEntry> entries)
        {
            var logs = new CollectingLoggerProvider();
            using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
            using var detector = EdDetector.Load(path, new LoadOptions { WarmUp = warmUp, LoggerFactory = factory });
            entries = [.. logs.Entries];
            return detector.Predict(image).Score;
        }

        var warm = Score(warmUp: true, out var warmed);
        var cold = Score(warmUp: false, out var notWarmed);

        warmed.Should().ContainSingle(e => e.EventId.Name == "WarmedUp", "the default loads ready to predict at full speed");
        notWarmed.Should().NotContain(e => e.EventId.Name == "WarmedUp");
        warm.Should().Be(cold, "the blank image leaves no state behind");
    }
}

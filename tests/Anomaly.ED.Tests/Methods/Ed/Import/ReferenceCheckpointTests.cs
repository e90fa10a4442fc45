using System.Text.Json;
using Anomaly.ED.Formats;
using Anomaly.ED.Methods.Ed.Import;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Tests.Detector;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Ed.Import;

/// <summary>
/// A checkpoint written by the reference ED code's own model class (ed_tiny-pix.pth) and reference features in its
/// create_ref_features.py format (ed_tiny_rfeatures.pkl, numpy arrays); made by Weights/Data/make_reference_checkpoint.py.
/// </summary>
[Collection(DetectorCollection.Name)]
public sealed class ReferenceCheckpointTests
{
    private static readonly string[] Stages = ["layer2", "layer3"];

    private static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Formats", "Data", name);

    [Fact]
    public void ReadsEveryLevelAndTheReferenceFeaturesWithTheirValues()
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(DataFile("ed_tiny.json")));
        using var checkpoint = ReferenceCheckpoint.Read(DataFile("ed_tiny-pix.pth"), DataFile("ed_tiny_rfeatures.pkl"), Stages);

        var levels = expected.RootElement.GetProperty("levels");
        checkpoint.LevelStates.Should().HaveCount(2);
        for (var i = 0; i < 2; i++)
        {
            var level = levels[i];
            checkpoint.LevelStates[i].Keys.Should().BeEquivalentTo(level.EnumerateObject().Select(p => p.Name));
            foreach (var entry in level.EnumerateObject())
            {
                var tensor = checkpoint.LevelStates[i][entry.Name];
                tensor.shape.Should().Equal(entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), entry.Name);
                using var sum = tensor.to_type(ScalarType.Float64).sum();
                sum.item<double>().Should().BeApproximately(entry.Value.GetProperty("sum").GetDouble(), 1e-9, entry.Name);
            }
        }

        // Backbone layer2 and layer3 are the reference file's layer1 and layer2.
        var references = expected.RootElement.GetProperty("references");
        foreach (var (tensor, key) in checkpoint.References.Zip(["layer1", "layer2"]))
        {
            var reference = references.GetProperty(key);
            tensor.dtype.Should().Be(ScalarType.Float32);
            tensor.shape.Should().Equal(reference.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
            tensor.flatten().narrow(0, 0, 4).data<float>().ToArray().Select(v => (double)v).Should().Equal(reference.GetProperty("first").EnumerateArray().Select(v => v.GetDouble()));
            using var sum = tensor.to_type(ScalarType.Float64).sum();
            sum.item<double>().Should().BeApproximately(reference.GetProperty("sum").GetDouble(), 1e-6);
        }
    }

    [Fact]
    public void ImportedDetectorHoldsTheCheckpointPredictsAndSurvivesSaveAndLoad()
    {
        using var detector = TinyReferenceDetector(modelDimension: 32).Build();
        detector.ImportReferenceCheckpoint(DataFile("ed_tiny-pix.pth"), DataFile("ed_tiny_rfeatures.pkl"));

        detector.IsFitted.Should().BeTrue();
        using (var checkpoint = ReferenceCheckpoint.Read(DataFile("ed_tiny-pix.pth"), DataFile("ed_tiny_rfeatures.pkl"), Stages))
        {
            for (var i = 0; i < 2; i++)
            {
                using var scope = NewDisposeScope();
                foreach (var (name, value) in ((Anomaly.ED.Methods.Ed.EdModel)detector.Model).Networks[i].state_dict())
                {
                    value.cpu().allclose(checkpoint.LevelStates[i][name], rtol: 0, atol: 0).Should().BeTrue($"level {i} {name}");
                }

                ((Anomaly.ED.Methods.Ed.EdModel)detector.Model).Networks[i].GetReferenceFeatures().allclose(checkpoint.References[i], rtol: 0, atol: 0).Should().BeTrue($"level {i} references");
            }
        }

        var image = Path.Combine(Path.GetTempPath(), $"anomaly-ed-reference-{Guid.NewGuid():N}.png");
        try
        {
            var rows = Enumerable.Range(0, 96).Select(y => Enumerable.Range(0, 96 * 3).Select(x => (byte)(((x * 7) + (y * 13)) % 256)).ToArray()).ToArray();
            File.WriteAllBytes(image, Anomaly.ED.Tests.Data.TestImageFiles.Png(96, 96, 8, 2, rows));
            var score = detector.Predict(image).Score;
            float.IsFinite(score).Should().BeTrue();
            var model = Path.ChangeExtension(image, ".edmodel");
            detector.Save(model);
            using var loaded = EdDetector.Load(model);
            loaded.Predict(image).Score.Should().Be(score);
            File.Delete(model);
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Fact]
    public void ACheckpointForOtherSizesIsRefusedBeforeAnythingIsCopied()
    {
        using var detector = TinyReferenceDetector(modelDimension: 64).Build();

        var act = () => detector.ImportReferenceCheckpoint(DataFile("ed_tiny-pix.pth"), DataFile("ed_tiny_rfeatures.pkl"));

        act.Should().Throw<StateDictMismatchException>()
            .Which.Message.Should().Contain("level 0 (layer2)").And.Contain("embedding.project_embedding.project.weight: expected [64, 128, 1], got [32, 128, 1]");
        detector.IsFitted.Should().BeFalse();
    }

    [Fact]
    public void ReferenceFeaturesOfAnotherImageSizeAreRefused()
    {
        using var detector = TinyReferenceDetector(modelDimension: 32, imageSize: 64).Build();

        var act = () => detector.ImportReferenceCheckpoint(DataFile("ed_tiny-pix.pth"), DataFile("ed_tiny_rfeatures.pkl"));

        act.Should().Throw<CheckpointFormatException>().Which.Message.Should().Contain("needs (128, 64)").And.Contain("image size");
        detector.IsFitted.Should().BeFalse();
    }

    // The sizes the reference model of make_reference_checkpoint.py was built with: resnet18 layer2 + layer3 at 128 x 128
    // (16x16 and 8x8 tokens), d_model 32, 2 heads, 1 layer.
    private static EdDetectorBuilder TinyReferenceDetector(int modelDimension, int imageSize = 128) => new EdDetectorBuilder()
        .WithBackbone("resnet18")
        .WithUntrainedBackbone()
        .WithImageSize(imageSize)
        .WithLevels(Stages, [modelDimension, modelDimension])
        .WithNetwork(heads: 2, layers: 1);
}

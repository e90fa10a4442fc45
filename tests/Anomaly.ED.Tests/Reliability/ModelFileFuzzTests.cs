using Anomaly.ED.Methods;
using Anomaly.ED.Tests.TestSupport;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Tests.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// Model files under hostile bytes and hostile content: a damaged file, and a well-formed file (correct hash) whose
/// options or tensors contradict each other, load or end in <see cref="ModelFileException"/> naming the file.
/// </summary>
public sealed class ModelFileFuzzTests(ITestOutputHelper output)
{
    private static readonly string LegacyFolder = Path.Combine(AppContext.BaseDirectory, "Detector", "LegacyModels");

    [Fact]
    public void MutatedModelFilesAreRefusedWithTheDocumentedException()
    {
        using var folder = new TempDirectory();
        var seedPath = Path.Combine(folder.Path, "seed.edmodel");
        using (var detector = EdDetector.Load(Path.Combine(LegacyFolder, "v1-ed.edmodel")))
        {
            detector.Save(seedPath);
        }

        var seed = File.ReadAllBytes(seedPath);
        var headerEnd = 8 + (int)BitConverter.ToUInt64(seed, 0);
        var fuzzer = new MutationFuzzer(29);
        var path = Path.Combine(folder.Path, "case.edmodel");
        var inputs = SafetensorsFuzzTests.Regressions("model")
            .Concat(MutationFuzzer.Truncations(seed, [0, 8, headerEnd, seed.Length / 2]))
            .Concat(Enumerable.Range(0, int.MaxValue).Select(_ => fuzzer.Mutate(seed, headerEnd)));

        var report = MutationFuzzer.Run("model", inputs, bytes => Load(path, bytes), [typeof(ModelFileException)], MutationFuzzer.Budget(10), maxCases: MutationFuzzer.MaxCases(5_000));

        output.WriteLine(report.ToString());
        report.Findings.Should().BeEmpty(report.ToString());
        report.Cases.Should().BeGreaterThan(50);
    }

    public static TheoryData<string> HostileContents => [.. Edits.Keys];

    [Theory]
    [MemberData(nameof(HostileContents))]
    public void AWellFormedFileWithContradictoryContentIsRefusedNamingIt(string edit)
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "hostile.edmodel");
        using (var scope = NewDisposeScope())
        {
            using var content = ModelFile.Load(Path.Combine(LegacyFolder, "v1-ed.edmodel"));
            using var changed = Edits[edit](content);
            ModelFile.Save(path, changed);
        }

        var load = () => EdDetector.Load(path);

        load.Should().Throw<ModelFileException>().Which.FilePath.Should().Be(path);
    }

    private static readonly Dictionary<string, Func<ModelFileContent, ModelFileContent>> Edits = new()
    {
        ["unknown backbone"] = c => WithOptions(c, o => o.Backbone.Name = "resnet9000"),
        ["stage that does not exist"] = c => WithOptions(c, o => o.Backbone.Levels = ["layer9"]),
        ["levels and dimensions disagree"] = c => WithOptions(c, o => o.EdSettings().Network.ModelDimensions = [16, 32]),
        ["zero heads"] = c => WithOptions(c, o => o.EdSettings().Network.Heads = 0),
        ["image far too large"] = c => WithOptions(c, o => (o.Backbone.ImageHeight, o.Backbone.ImageWidth) = (1_000_000, 1_000_000)),
        ["other level than the tensors"] = c => WithOptions(c, o => o.Backbone.Levels = ["layer2"]),
        ["other method than the tensors"] = c => WithOptions(c, o => o.Method = DetectorMethod.Fod),
        ["other network size than the tensors"] = c => WithOptions(c, o => o.EdSettings().Network.ModelDimensions = [32]),
        ["a tensor missing"] = c => WithState(c, s => s.Remove(s.Keys.First(k => k.EndsWith("reference_features", StringComparison.Ordinal)))),
        ["a tensor of another shape"] = c => WithState(c, s => s[s.Keys.First(k => k.EndsWith("reference_features", StringComparison.Ordinal))] = zeros(3, 3)),
        ["a tensor of another dtype"] = c => WithState(c, s => s[s.Keys.First(k => k.EndsWith("projection.weight", StringComparison.Ordinal))] = zeros(2, 2, ScalarType.Int64)),
        ["a foreign tensor"] = c => WithState(c, s => s["../../escape"] = zeros(1)),
        ["embedded backbone of another shape"] = c => c with { BackboneState = c.BackboneState!.ToDictionary(kv => kv.Key, kv => kv.Key == "conv1.weight" ? zeros(1) : kv.Value) },
        ["backbone neither embedded nor where recorded"] = c => WithOptions(c, o => (o.Backbone.WeightsPath, o.Backbone.AllowUntrained) = ("/nonexistent/weights.safetensors", false)) with
        {
            BackboneState = null,
            Backbone = c.Backbone with { Embedded = false },
        },
    };

    private static void Load(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        try
        {
            using var detector = EdDetector.Load(path);
        }
        catch (ModelFileException e)
        {
            e.FilePath.Should().Be(path);
            throw;
        }
    }

    private static ModelFileContent WithOptions(ModelFileContent content, Action<DetectorOptions> change)
    {
        var options = ModelOptionsCodec.Read(content, "fuzzed.edmodel");
        change(options);
        return content with { Method = options.Method.ToString(), OptionsJson = ModelOptionsCodec.Write(options), OptionsVersion = ModelFile.FormatVersion };
    }

    private static ModelFileContent WithState(ModelFileContent content, Action<Dictionary<string, Tensor>> change)
    {
        var state = content.State.ToDictionary(kv => kv.Key, kv => kv.Value);
        change(state);
        return content with { State = state };
    }
}

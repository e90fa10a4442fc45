using Anomaly.ED.Data;
using Anomaly.ED.Runtime;
using Anomaly.ED.Tests.Detector;
using Anomaly.ED.Tests.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace Anomaly.ED.Tests.Runtime;

[Collection(DetectorCollection.Name)]
public sealed class ReducedPrecisionTests
{
    private readonly TinyDetectorFixture fixture;

    public ReducedPrecisionTests(TinyDetectorFixture fixture) => this.fixture = fixture;

    public static TheoryData<DetectorMethod> Methods => [DetectorMethod.Ed, DetectorMethod.Hetmm];

    /// <remarks>
    /// bfloat16 keeps 8 significant bits (a relative rounding error of 2^-9, 0.2 %) at every product's inputs and outputs, and
    /// the tiny model's scores pass through about ten such roundings (backbone stages, embedding, attention, projection); its
    /// score differences were at most 1.1 % (ED) and 1.5 % (HETMM) of the float32 score range across the test images. The bound,
    /// 5 % of that range, leaves room for other CPUs' kernels while still failing a path that scores in the wrong type or
    /// loses the float32 accumulation (either moves scores by tens of percent), and the ranking of normal and defective
    /// images must not change more than one pair in twenty.
    /// </remarks>
    [Theory]
    [MemberData(nameof(Methods))]
    public void BFloat16PredictionsStayCloseToFloat32WhileFloat32IsUnchanged(DetectorMethod method)
    {
        var path = fixture.NewTempPath($"{method}.edmodel");
        float[] original;
        var images = fixture.Test.Items.Select(i => i.ImagePath).ToArray();
        if (method == DetectorMethod.Ed)
        {
            fixture.Detector.Save(path);
            original = [.. fixture.Detector.Predict(images).Select(p => p.Score)];
        }
        else
        {
            using var hetmm = new EdDetectorBuilder().UseHetmm().WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(64).Build();
            hetmm.Fit(fixture.Training);
            hetmm.Save(path);
            original = [.. hetmm.Predict(images).Select(p => p.Score)];
        }

        var logs = new CollectingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var single = EdDetector.Load(path, new LoadOptions { WarmUp = false });
        using var reduced = EdDetector.Load(path, new LoadOptions { WarmUp = false, LoggerFactory = factory, Runtime = new RuntimeOptions { Precision = "bfloat16" } });
        var float32 = single.Predict(images);
        var bfloat16 = reduced.Predict(images);
        var again = reduced.Predict(images);

        float32.Select(p => p.Score).Should().Equal(original, "parity mode computes exactly what it computed before");
        var scores32 = float32.Select(p => p.Score).ToArray();
        var scores16 = bfloat16.Select(p => p.Score).ToArray();
        scores16.Should().NotEqual(scores32, "bfloat16 really ran (identical scores would mean float32 ran)");
        again.Select(p => p.Score).Should().Equal(scores16, "the cached bfloat16 weights give the same scores on every call");
        var range = scores32.Max() - scores32.Min();
        scores16.Zip(scores32, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(0.05f * range);
        bfloat16.Zip(float32, (a, b) => a.Map.Values.Zip(b.Map.Values, (x, y) => Math.Abs(x - y)).Max()).Max().Should().BeLessThan(0.05f * range);

        var defective = fixture.Test.Items.Select(i => i.IsDefective).ToArray();
        SwappedPairs(scores16, scores32, defective).Should().BeLessThanOrEqualTo(0.05);
        logs.Entries.Should().ContainSingle(e => e.EventId.Name == "ReducedPrecision" && e.Message.Contains("BFloat16", StringComparison.Ordinal));
    }

    [Fact]
    public void RepeatedBFloat16PredictionsLeaveNoTensorAlive()
    {
        var path = fixture.NewTempPath("ed.edmodel");
        fixture.Detector.Save(path);
        using var reduced = EdDetector.Load(path, new LoadOptions { Runtime = new RuntimeOptions { Precision = "bfloat16" } });
        var image = fixture.Test.Items[0].ImagePath;
        reduced.Predict(image);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 3; i++)
        {
            reduced.Predict(image);
        }

        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before, "the reduced weights are made once and every temporary is disposed");
    }

    [Fact]
    public void Float16OnTheCpuIsAnErrorNamingTheOption()
    {
        var build = () => TinyDetectorFixture.NewBuilder(epochs: 1).UsePrecision("float16").Build();
        build.Should().Throw<OptionsValidationException>().WithMessage("*Runtime.Precision = Float16 needs a CUDA device*");

        var path = fixture.NewTempPath("ed16.edmodel");
        fixture.Detector.Save(path);
        var load = () => EdDetector.Load(path, new LoadOptions { Runtime = new RuntimeOptions { Precision = "float16" } });
        load.Should().Throw<ArgumentException>().WithMessage("LoadOptions.Runtime.Precision = Float16*");

        var check = () => ReducedPrecision.Check(ComputePrecision.Float16, torch.CPU, "LoadOptions.Runtime.Precision");
        check.Should().Throw<InvalidOperationException>().WithMessage("LoadOptions.Runtime.Precision is Float16*CUDA*");
    }

    [Theory]
    [InlineData("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16 avx512_vnni\n", true)]
    [InlineData("flags\t\t: fpu amx_bf16 amx_tile\n", true)]
    [InlineData("flags\t\t: fpu avx512f avx512_vnni avx512_bf16x\n", false)]
    [InlineData("processor\t: 0\n", true)]
    [InlineData(null, true)]
    public void CpuInfoFlagsDecideBFloat16(string? cpuInfo, bool supported) =>
        ReducedPrecision.CpuHasBFloat16(cpuInfo).Should().Be(supported);

    // The share of (defective, normal) pairs whose order differs between the two score lists.
    private static double SwappedPairs(float[] a, float[] b, bool[] defective)
    {
        var pairs = 0;
        var swapped = 0;
        for (var i = 0; i < a.Length; i++)
        {
            for (var j = 0; j < a.Length; j++)
            {
                if (defective[i] && !defective[j])
                {
                    pairs++;
                    swapped += (a[i] > a[j]) != (b[i] > b[j]) ? 1 : 0;
                }
            }
        }

        return (double)swapped / pairs;
    }
}

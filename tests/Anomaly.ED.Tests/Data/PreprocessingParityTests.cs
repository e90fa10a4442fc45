using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Anomaly.ED.Data;
using Anomaly.ED.Formats;
using Anomaly.ED.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Data;

/// <summary>
/// Decoding and the three reference pipelines against golden/pipeline/preprocess.safetensors: every tensor is
/// compared whole, by SHA-256 (README "Compact form"), or byte by byte where the golden file keeps it whole.
/// </summary>
public sealed class PreprocessingParityTests : IDisposable
{
    private const string GoldenFile = "pipeline/preprocess.safetensors";

    private readonly ITestOutputHelper output;
    private readonly SafetensorsFile golden;
    private readonly Dictionary<string, string> sha256;

    public PreprocessingParityTests(ITestOutputHelper output)
    {
        this.output = output;
        golden = SafetensorsFile.Open(GoldenData.Copied(GoldenFile));
        sha256 = JsonSerializer.Deserialize<Dictionary<string, string>>(golden.Metadata["sha256"])!;
    }

    public static TheoryData<string, string> ImagePipelines() => Combine(["rgb_300x260.png", "gray_280x280.png", "rgb_320x240.bmp", "rgba_200x300.png"]);

    public static TheoryData<string, string> MaskPipelines() => Combine(["mask_300x260.png", "mask_320x240.bmp"]);

    [Theory]
    [InlineData("rgb_300x260.png", 3)]
    [InlineData("gray_280x280.png", 1)]
    [InlineData("rgb_320x240.bmp", 3)]
    [InlineData("rgba_200x300.png", 4)]
    public void DecodedImageBytesAreExact(string file, int channels)
    {
        var decoded = ImageDecoder.Decode(Source(file));
        decoded.Channels.Should().Be(channels);
        AssertExact("decoded_u8." + file, [decoded.Height, decoded.Width, decoded.Channels], decoded.Pixels);
    }

    [Theory]
    [InlineData("mask_300x260.png")]
    [InlineData("mask_320x240.bmp")]
    public void DecodedMaskBytesAreExact(string file)
    {
        var decoded = ImageDecoder.DecodeGray(Source(file));
        AssertExact("decoded_u8." + file, [decoded.Height, decoded.Width, 1], decoded.Pixels);
    }

    [Theory]
    [MemberData(nameof(ImagePipelines))]
    public void ImagePipelineIsBitExact(string file, string tag)
    {
        var transform = new ImageTransform(Options(tag));
        var image = ImageDecoder.DecodeRgb(Source(file));

        var resized = transform.ResizeImage(image);
        AssertExact($"resized_u8{tag}.{file}", [resized.Height, resized.Width, 3], resized.Pixels);

        var box = transform.GetCropBox(resized.Height, resized.Width);
        if (golden.Contains($"crop_box{tag}.{file}"))
        {
            golden.ReadArray<long>($"crop_box{tag}.{file}").Should().Equal(box.Top, box.Left, box.Height, box.Width);
        }

        using var scope = NewDisposeScope();
        var tensor = transform.TransformImage(image);
        AssertExact($"img{tag}.{file}", [3, 256, 256], MemoryMarshal.AsBytes(tensor.data<float>().ToArray().AsSpan()).ToArray(), tensor);
    }

    [Theory]
    [MemberData(nameof(MaskPipelines))]
    public void MaskPipelineIsBitExact(string file, string tag)
    {
        var transform = new ImageTransform(Options(tag));
        var mask = ImageDecoder.DecodeGray(Source(file));

        var resized = transform.ResizeMask(mask);
        AssertExact($"resized_u8{tag}.{file}", [resized.Height, resized.Width, 1], resized.Pixels);
        var box = transform.GetCropBox(resized.Height, resized.Width);
        if (golden.Contains($"crop_box{tag}.{file}"))
        {
            golden.ReadArray<long>($"crop_box{tag}.{file}").Should().Equal(box.Top, box.Left, box.Height, box.Width);
        }

        using var scope = NewDisposeScope();
        var binary = transform.TransformMask(mask, mask.Height, mask.Width);
        var values = binary.data<float>().ToArray();
        values.Should().OnlyContain(v => v == 0f || v == 1f);
        if (tag == "_hetmm")
        {
            // HETMM keeps the bilinear mask as ToTensor gives it, then binarises it (>= 0.5) into U8.
            var scaled = resized.Pixels.Select(v => v / 255f).ToArray();
            AssertExact($"mask_hetmm.{file}", [1, 256, 256], MemoryMarshal.AsBytes(scaled.AsSpan()).ToArray(), tensor(scaled, [1, 256, 256]));
            AssertExact($"mask_hetmm_bin.{file}", [1, 256, 256], values.Select(v => (byte)v).ToArray());
        }
        else
        {
            AssertExact($"mask{tag}.{file}", [1, 256, 256], MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), binary);
        }
    }

    public void Dispose() => golden.Dispose();

    private static TheoryData<string, string> Combine(string[] files)
    {
        var data = new TheoryData<string, string>();
        foreach (var file in files)
        {
            foreach (var tag in new[] { string.Empty, "_sq", "_hetmm" })
            {
                data.Add(file, tag);
            }
        }

        return data;
    }

    private static ImageTransformOptions Options(string tag) => tag switch
    {
        "" => ImageTransformOptions.EdShortSide(),
        "_sq" => ImageTransformOptions.EdSquare(),
        "_hetmm" => ImageTransformOptions.Hetmm(),
        _ => throw new ArgumentOutOfRangeException(nameof(tag)),
    };

    private static string Source(string file) => GoldenData.Copied("pipeline/images/" + file);

    /// <summary>
    /// Asserts the exact bytes of a golden tensor: by SHA-256 where the file keeps only band and statistics, else
    /// element by element. On a SHA mismatch the band and statistics are compared first, to say where it differs.
    /// Reports max and mean |difference| in the test output.
    /// </summary>
    private void AssertExact(string name, long[] shape, byte[] actual, Tensor? asTensor = null)
    {
        if (sha256.TryGetValue(name, out var expectedHash))
        {
            var shapes = JsonDocument.Parse(golden.Metadata["shapes"]).RootElement;
            shapes.GetProperty(name).EnumerateArray().Select(e => e.GetInt64()).Should().Equal(shape, $"shape of '{name}'");
            var actualHash = Convert.ToHexString(SHA256.HashData(actual)).ToLowerInvariant();
            if (actualHash != expectedHash && asTensor is not null)
            {
                var bandDiff = CompactGolden.AssertClose(golden, name, asTensor, 0.0176);
                output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}: SHA-256 differs; band max |diff| {1:G3}", name, bandDiff));
            }

            actualHash.Should().Be(expectedHash, $"'{name}' must equal the golden tensor byte for byte");
            output.WriteLine($"{name}: SHA-256 equal (max |diff| 0, mean |diff| 0)");
            return;
        }

        golden.GetInfo(name).Shape.Should().Equal(shape, $"shape of '{name}'");
        var expected = golden.ReadArray<byte>(name);
        var diffs = actual.Zip(expected, (a, e) => Math.Abs(a - e)).ToArray();
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}: whole tensor, max |diff| {1}, mean |diff| {2:G3}", name, diffs.Max(), diffs.Average()));
        actual.Should().Equal(expected, $"'{name}' must equal the golden tensor byte for byte");
    }
}

using Anomaly.ED.Data;
using Anomaly.ED.Tests.Data;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.Tests.Visualization;

public sealed class PngFileTests
{
    [Fact]
    public void WrittenPngDecodesBackToTheSameRgbPixels()
    {
        using var temp = new TempDirectory();
        var image = AnomalyPanel.Render(HeatmapOverlayTests.Gradient(9, 7), HeatmapOverlayTests.Map(3, 4), options: new VisualizationOptions { Threshold = 0.5 });
        var path = temp.Combine("panel.png");
        PngFile.Write(image, path);
        var decoded = ImageDecoder.DecodeRgb(path);
        decoded.Width.Should().Be(image.Width);
        decoded.Height.Should().Be(image.Height);
        decoded.Pixels.Should().Equal(image.Pixels);
    }

    [Fact]
    public void EncodedPngIsTheFileContentAndDecodesBack()
    {
        using var temp = new TempDirectory();
        var image = Heatmap.Render(HeatmapOverlayTests.Map(3, 4));
        var path = temp.Combine("heat.png");
        PngFile.Write(image, path);
        var encoded = PngFile.Encode(image);
        encoded.Should().Equal(File.ReadAllBytes(path));
        ImageDecoder.DecodeRgb(encoded, "encoded").Pixels.Should().Equal(image.Pixels);
    }

    [Fact]
    public void WrittenGreyPngDecodesBackToTheSameSamples()
    {
        using var temp = new TempDirectory();
        var mask = new ImageBuffer(5, 2, 1, [0, 1, 2, 127, 128, 200, 254, 255, 3, 99]);
        var path = temp.Combine("mask.png");
        PngFile.Write(mask, path);
        ImageDecoder.DecodeGray(path).Pixels.Should().Equal(mask.Pixels);
    }

    [Fact]
    public void MissingFoldersAreCreatedAndExistingFilesReplacedWithoutLeftovers()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("runs/a/b/heat.png");
        PngFile.Write(new ImageBuffer(2, 2, 3), path);
        var second = Heatmap.Render(HeatmapOverlayTests.Map(2, 2));
        PngFile.Write(second, path);
        ImageDecoder.DecodeRgb(path).Pixels.Should().Equal(second.Pixels);
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().ContainSingle("the temporary file was moved into place");
    }

    [Fact]
    public void PathNamingAFolderIsRejected()
    {
        using var temp = new TempDirectory();
        var folder = temp.CreateFolder("out");
        var act = () => PngFile.Write(new ImageBuffer(1, 1, 3), folder);
        act.Should().Throw<ArgumentException>().WithParameterName("path").WithMessage($"*'{folder}'*folder, not a file*");
        var trailing = () => PngFile.Write(new ImageBuffer(1, 1, 3), folder + Path.DirectorySeparatorChar);
        trailing.Should().Throw<ArgumentException>().WithParameterName("path");
    }

    [Fact]
    public void FolderThatIsAFileGivesAnIoErrorNamingThePath()
    {
        using var temp = new TempDirectory();
        var file = temp.Write("blocker", [1, 2, 3]);
        var path = Path.Combine(file, "heat.png");
        var act = () => PngFile.Write(new ImageBuffer(1, 1, 3), path);
        act.Should().Throw<IOException>().WithMessage($"*'{path}'*");
        File.ReadAllBytes(file).Should().Equal(1, 2, 3);
    }

    [Fact]
    public void EmptyOrInvalidPathsAreRejected()
    {
        var image = new ImageBuffer(1, 1, 3);
        ((Action)(() => PngFile.Write(image, string.Empty))).Should().Throw<ArgumentException>().WithParameterName("path");
        ((Action)(() => PngFile.Write(image, "   "))).Should().Throw<ArgumentException>().WithParameterName("path");
        ((Action)(() => PngFile.Write(image, "bad\0name.png"))).Should().Throw<ArgumentException>().WithParameterName("path").WithMessage("*bad*");
    }
}

using Anomaly.ED.Data;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Data;

public sealed class ImageTransformTests
{
    [Theory]
    [InlineData(260, 300, 256, 295)]
    [InlineData(240, 320, 256, 341)]
    [InlineData(300, 200, 384, 256)]
    [InlineData(280, 280, 256, 256)]
    public void ShortSideResizeTruncatesTheLongSide(int height, int width, int expectedHeight, int expectedWidth)
    {
        var transform = new ImageTransform(ImageTransformOptions.EdShortSide());
        transform.GetResizedSize(height, width).Should().Be((expectedHeight, expectedWidth));
    }

    [Theory]
    [InlineData(256, 295, 0, 20)]
    [InlineData(256, 341, 0, 42)]
    [InlineData(384, 256, 64, 0)]
    [InlineData(257, 259, 0, 2)]
    public void CenterCropRoundsHalfToEven(int height, int width, int expectedTop, int expectedLeft)
    {
        // (295 - 256) / 2 = 19.5 -> 20; (341 - 256) / 2 = 42.5 -> 42; (259 - 256) / 2 = 1.5 -> 2; 0.5 -> 0.
        var transform = new ImageTransform(ImageTransformOptions.EdShortSide());
        transform.GetCropBox(height, width).Should().Be(new CropBox(expectedTop, expectedLeft, 256, 256));
    }

    [Fact]
    public void NonSquareSizesAreHonoured()
    {
        var transform = new ImageTransform(new ImageTransformOptions { ResizeHeight = 40, ResizeWidth = 60, CropHeight = 32, CropWidth = 48 });
        var image = TestImageFiles.Rgb(90, 70, (y, x, c) => (x + y + c) % 256);
        using var scope = NewDisposeScope();
        var tensor = transform.TransformImage(image);
        tensor.shape.Should().Equal(3, 32, 48);
        tensor.dtype.Should().Be(ScalarType.Float32);
        transform.GetCropBox(40, 60).Should().Be(new CropBox(4, 6, 32, 48));
    }

    [Fact]
    public void ToTensorAndNormalizeAreFloat32Operations()
    {
        var transform = new ImageTransform(new ImageTransformOptions { ResizeHeight = 1, ResizeWidth = 2 });
        var image = new ImageBuffer(2, 1, 3, [0, 128, 255, 10, 20, 30]);
        using var scope = NewDisposeScope();
        var values = transform.TransformImage(image).data<float>().ToArray();
        float[] mean = [0.485f, 0.456f, 0.406f];
        float[] std = [0.229f, 0.224f, 0.225f];
        values.Should().Equal(
            ((0 / 255f) - mean[0]) / std[0], ((10 / 255f) - mean[0]) / std[0],
            ((128 / 255f) - mean[1]) / std[1], ((20 / 255f) - mean[1]) / std[1],
            ((255 / 255f) - mean[2]) / std[2], ((30 / 255f) - mean[2]) / std[2]);
    }

    [Fact]
    public void MaskIsBinarisedAndNullMaskIsZero()
    {
        var transform = new ImageTransform(new ImageTransformOptions { ResizeHeight = 2, ResizeWidth = 2 });
        var mask = new ImageBuffer(2, 2, 1, [0, 1, 128, 255]);
        using var scope = NewDisposeScope();
        transform.TransformMask(mask, 2, 2).data<float>().ToArray().Should().Equal(0f, 1f, 1f, 1f);
        var zeros = transform.TransformMask(null, 10, 30);
        zeros.shape.Should().Equal(1, 2, 2);
        zeros.sum().item<float>().Should().Be(0f);
    }

    [Fact]
    public void HetmmMaskThresholdIsHalf()
    {
        var transform = new ImageTransform(new ImageTransformOptions { ResizeHeight = 1, ResizeWidth = 4, MaskResampling = MaskResampling.BilinearThreshold });
        var mask = new ImageBuffer(4, 1, 1, [0, 127, 128, 255]);
        using var scope = NewDisposeScope();
        transform.TransformMask(mask, 1, 4).data<float>().ToArray().Should().Equal(0f, 0f, 1f, 1f);
    }

    [Fact]
    public void InvalidOptionsListEveryProblem()
    {
        var options = new ImageTransformOptions
        {
            ResizeHeight = 0,
            ResizeWidth = 64,
            CropHeight = 100,
            Mean = [0.5f, 0.5f],
            Std = [0.2f, 0f, 0.2f],
        };
        var act = () => new ImageTransform(options);
        act.Should().Throw<ArgumentException>()
            .WithMessage("*ResizeHeight and ResizeWidth must be at least 1*")
            .WithMessage("*Mean must hold 3*")
            .WithMessage("*Std must hold 3 finite positive*");
    }

    [Fact]
    public void CropLargerThanShortSideIsRejected()
    {
        var act = () => new ImageTransform(ImageTransformOptions.EdShortSide(resize: 224, crop: 256));
        act.Should().Throw<ArgumentException>().WithMessage("*may not exceed ResizeShortSide 224*");
    }

    [Fact]
    public void ShortSideAndExactSizeCannotBothBeSet()
    {
        var act = () => new ImageTransform(new ImageTransformOptions { ResizeShortSide = 256 });
        act.Should().Throw<ArgumentException>().WithMessage("*either ResizeShortSide or ResizeHeight/ResizeWidth*");
    }

    [Fact]
    public void OptionsAreCopiedSoLaterChangesDoNotLeakIn()
    {
        var options = ImageTransformOptions.EdSquare(64);
        var transform = new ImageTransform(options);
        options.ResizeHeight = 128;
        transform.GetResizedSize(10, 10).Should().Be((64, 64));
        transform.Options.ResizeHeight.Should().Be(64);
    }

    [Fact]
    public void WrongChannelCountIsRejectedWithAHint()
    {
        var transform = new ImageTransform(ImageTransformOptions.EdSquare(8));
        var act = () => transform.TransformImage(new ImageBuffer(4, 4, 1));
        act.Should().Throw<ArgumentException>().WithMessage("*DecodeRgb*");
    }
}

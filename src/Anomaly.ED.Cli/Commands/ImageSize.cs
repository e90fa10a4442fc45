using System.ComponentModel;
using System.Globalization;

namespace Anomaly.ED.Cli.Commands;

/// <summary>The value of <c>--image-size</c>: <c>N</c> for N x N, or <c>HxW</c>, height first as in <see cref="EdDetectorBuilder.WithImageSize(int, int)"/>.</summary>
[TypeConverter(typeof(ImageSizeConverter))]
internal readonly record struct ImageSize(int Height, int Width)
{
    /// <summary>The form the option takes, for help and error messages.</summary>
    public const string Form = "N or HxW (height x width in pixels, e.g. 256 or 640x256)";

    /// <summary>Reads <c>N</c> or <c>HxW</c> (x or X); null when the text is neither.</summary>
    public static ImageSize? Parse(string text)
    {
        var parts = text.Split('x', 'X');
        return parts.Length switch
        {
            1 when Pixels(parts[0]) is { } n => new ImageSize(n, n),
            2 when Pixels(parts[0]) is { } h && Pixels(parts[1]) is { } w => new ImageSize(h, w),
            _ => null,
        };
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Height}x{Width}");

    private static int? Pixels(string text) => int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>Spectre's converter for <see cref="ImageSize"/>; a text of another form is a <see cref="FormatException"/> that <see cref="OptionErrors"/> turns into a message naming the option.</summary>
internal sealed class ImageSizeConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text && ImageSize.Parse(text) is { } size ? size : throw new FormatException($"expected {ImageSize.Form}");
}

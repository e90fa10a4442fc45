using System.Globalization;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using ScottPlot;
using SkiaSharp;

namespace Anomaly.ED.Cli.Output;

/// <summary>The PNG plots of <c>test</c> (ScottPlot 5): ROC curves, the score histogram with the threshold, and captioned heatmap panels.</summary>
internal static class Plots
{
    /// <summary>Width of the curve and histogram plots, in pixels.</summary>
    public const int Width = 800;

    /// <summary>Height of the curve and histogram plots, in pixels.</summary>
    public const int Height = 600;

    // Heatmap panel margins in pixels: the colour bar with its ticks and title on the right, the caption on top.
    private const int PanelRight = 150;
    internal const int PanelTop = 56;
    internal const int PanelMargin = 10;
    private const float ColorBarTitleGap = 12;

    /// <summary>A ROC curve with its area and the chance diagonal.</summary>
    public static byte[] Roc(RocCurve curve, string title)
    {
        var plot = new Plot();
        var line = plot.Add.ScatterLine(curve.FalsePositiveRates.ToArray(), curve.TruePositiveRates.ToArray());
        line.LineWidth = 2;
        line.LegendText = string.Create(CultureInfo.InvariantCulture, $"AUROC {curve.Auroc:F4}");
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LinePattern = LinePattern.Dashed;
        chance.Color = Colors.Gray;
        chance.LegendText = "chance";
        // A little room past 0 and 1, so a curve along an edge is not hidden under the frame.
        plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.01);
        plot.Title(title);
        plot.XLabel("false positive rate");
        plot.YLabel("true positive rate");
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Histograms of the image scores of normal and defective images, with the decision threshold as a vertical line.</summary>
    public static byte[] ScoreHistogram(IReadOnlyList<float> normal, IReadOnlyList<float> defective, double? threshold, string thresholdLabel)
    {
        var all = normal.Concat(defective).Select(s => (double)s).ToArray();
        var (low, high) = (all.Min(), all.Max());
        if (threshold is { } t)
        {
            (low, high) = (Math.Min(low, t), Math.Max(high, t));
        }

        const int bins = 30;
        var width = high > low ? (high - low) / bins : 1;
        var plot = new Plot();
        AddHistogram(plot, normal, low, width, bins, Colors.SteelBlue, $"normal ({normal.Count})");
        AddHistogram(plot, defective, low, width, bins, Colors.OrangeRed, $"defective ({defective.Count})");
        if (threshold is { } value)
        {
            var line = plot.Add.VerticalLine(value);
            line.LineWidth = 2;
            line.Color = Colors.Black;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{thresholdLabel} {value:G4}");
        }

        plot.Axes.Margins(bottom: 0);
        // The y-axis counts images: whole-number ticks only, and no minor ticks between them.
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Left.MinorTickStyle.Length = 0;
        plot.Title("image scores: normal vs defective");
        plot.XLabel("image score");
        plot.YLabel("images");
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>
    /// A heatmap overlay (already drawn, with the true defect outlined) with a caption and a colour bar of the score range.
    /// The overlay is drawn pixel for pixel at its own size (small images enlarged by a whole factor to at least 400 pixels on their longer side),
    /// so it keeps its aspect ratio; the margins hold the caption and the colour bar.
    /// </summary>
    public static byte[] HeatmapPanel(ImageBuffer overlay, double low, double high, string caption)
    {
        var (imageWidth, imageHeight) = (overlay.Width, overlay.Height);
        var plot = new Plot();

        // An invisible heatmap carries the colour scale of the overlay to the colour bar.
        var scale = plot.Add.Heatmap(new double[,] { { low, high } });
        scale.Colormap = new ScottPlot.Colormaps.Jet();
        scale.ManualRange = new ScottPlot.Range(low, high);
        scale.IsVisible = false;
        var bar = plot.Add.ColorBar(scale);
        bar.Label = "anomaly score";
        // ScottPlot sizes the colour bar's panel without its tick marks, so its title would sit on the tick labels: pad it.
        if (bar.Axis is ScottPlot.AxisPanels.AxisBase axis)
        {
            axis.PaddingBetweenTickAndAxisLabels = new PixelPadding(ColorBarTitleGap, 3);
        }

        plot.Axes.SetLimits(0, imageWidth, 0, imageHeight);
        plot.HideGrid();
        plot.Axes.Bottom.IsVisible = false;
        plot.Axes.Left.IsVisible = false;
        plot.Title(caption, size: 13);

        var scaleUp = Math.Max(1, (int)Math.Ceiling(400.0 / Math.Max(imageWidth, imageHeight)));
        var (width, height) = (imageWidth * scaleUp, imageHeight * scaleUp);
        plot.Layout.Fixed(new PixelPadding(PanelMargin, PanelRight, PanelMargin, PanelTop));

        // An opaque surface encodes as RGB, a quarter less to compress than RGBA.
        using var surface = SKSurface.Create(new SKImageInfo(width + PanelMargin + PanelRight, height + PanelMargin + PanelTop, SKColorType.Rgba8888, SKAlphaType.Opaque));
        plot.Render(surface);

        // The overlay goes into the data area after the figure, pixel for pixel (small images enlarged by whole pixels):
        // drawn by ScottPlot as an image plottable it was resampled, which took a third of a 900x900 panel's time.
        using (var bitmap = Bitmap(overlay))
        {
            surface.Canvas.DrawBitmap(bitmap, new SKRect(PanelMargin, PanelTop, PanelMargin + width, PanelTop + height));
        }

        // zlib level 1 and the Sub filter: ScottPlot's level 6 took about 1.0 s of a 900x900 image's 1.3 s panel; level 1
        // with Sub on RGB takes under a tenth of that (docs/benchmarks.md).
        using var pixels = surface.PeekPixels();
        using var png = pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub, zLibLevel: 1))
            ?? throw new InvalidOperationException("SkiaSharp could not encode the heatmap panel as PNG.");
        return png.ToArray();
    }

    private static SKBitmap Bitmap(ImageBuffer rgb)
    {
        var bitmap = new SKBitmap(rgb.Width, rgb.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var pixels = new byte[rgb.Width * rgb.Height * 4];
        for (var i = 0; i < rgb.Width * rgb.Height; i++)
        {
            pixels[(i * 4) + 0] = rgb.Pixels[(i * 3) + 0];
            pixels[(i * 4) + 1] = rgb.Pixels[(i * 3) + 1];
            pixels[(i * 4) + 2] = rgb.Pixels[(i * 3) + 2];
            pixels[(i * 4) + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        return bitmap;
    }

    private static void AddHistogram(Plot plot, IReadOnlyList<float> scores, double low, double width, int bins, Color color, string label)
    {
        if (scores.Count == 0)
        {
            return;
        }

        var counts = new double[bins];
        foreach (var score in scores)
        {
            counts[Math.Clamp((int)((score - low) / width), 0, bins - 1)]++;
        }

        var positions = Enumerable.Range(0, bins).Select(i => low + ((i + 0.5) * width)).ToArray();
        var bars = plot.Add.Bars(positions, counts);
        foreach (var b in bars.Bars)
        {
            b.Size = width;
            b.FillColor = color.WithAlpha(0.55);
            b.LineWidth = 0;
        }

        bars.LegendText = label;
    }
}

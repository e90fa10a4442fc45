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
        plot.Axes.SetLimits(0, 1, 0, 1);
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
        plot.Title("image scores: normal vs defective");
        plot.XLabel("image score");
        plot.YLabel("images");
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>A heatmap overlay (already drawn, with the true defect outlined) with a caption and a colour bar of the score range.</summary>
    public static byte[] HeatmapPanel(ImageBuffer overlay, double low, double high, string caption)
    {
        var (imageWidth, imageHeight) = (overlay.Width, overlay.Height);
        using var bitmap = Bitmap(overlay);
        var plot = new Plot();
        plot.Add.ImageRect(new Image(bitmap), new CoordinateRect(0, imageWidth, 0, imageHeight));

        // An invisible heatmap carries the colour scale of the overlay to the colour bar.
        var scale = plot.Add.Heatmap(new double[,] { { low, high } });
        scale.Colormap = new ScottPlot.Colormaps.Jet();
        scale.ManualRange = new ScottPlot.Range(low, high);
        scale.IsVisible = false;
        var bar = plot.Add.ColorBar(scale);
        bar.Label = "anomaly score";
        // The figure's margins are sized for the caption and the colour bar, so the image keeps (about) its aspect ratio.
        plot.Axes.SetLimits(0, imageWidth, 0, imageHeight);
        plot.HideGrid();
        plot.Layout.Frameless(false);
        plot.Axes.Bottom.IsVisible = false;
        plot.Axes.Left.IsVisible = false;
        plot.Title(caption, size: 13);

        // Small images are drawn at least 400 pixels wide; the margins hold the caption and the colour bar with its labels.
        var scaleUp = Math.Max(1.0, 400.0 / Math.Max(imageWidth, imageHeight));
        return plot.GetImageBytes((int)(imageWidth * scaleUp) + 260, (int)(imageHeight * scaleUp) + 120, ImageFormat.Png);
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

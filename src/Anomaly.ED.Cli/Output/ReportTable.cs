using System.Globalization;
using Anomaly.ED.Evaluation;
using Spectre.Console;

namespace Anomaly.ED.Cli.Output;

/// <summary>An evaluation report as a console table: one row per subset (overall first, then each defect type).</summary>
internal static class ReportTable
{
    public static Table Create(EvaluationReport report)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("subset").AddColumn(new TableColumn("images").RightAligned()).AddColumn(new TableColumn("defective").RightAligned())
            .AddColumn(new TableColumn("image AUROC").RightAligned()).AddColumn(new TableColumn("pixel AUROC").RightAligned())
            .AddColumn(new TableColumn("AUPRO").RightAligned()).AddColumn(new TableColumn("pixel AP").RightAligned())
            .AddColumn(new TableColumn("image F1-max").RightAligned());
        foreach (var m in report.Subsets)
        {
            table.AddRow(
                Markup.Escape(m.Subset), Count(m.Images), Count(m.DefectiveImages), Metric(m.ImageAuroc), Metric(m.PixelAuroc),
                Metric(m.Aupro), Metric(m.PixelAveragePrecision), Metric(m.ImageF1Max));
        }

        return table;
    }

    /// <summary>A metric with four decimals, or "-" where it is undefined.</summary>
    public static string Metric(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);
}

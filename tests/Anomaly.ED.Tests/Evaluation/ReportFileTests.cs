using System.Globalization;
using System.Text.Json;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Scoring;

namespace Anomaly.ED.Tests.Evaluation;

public sealed class ReportFileTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "anomaly-ed-eval-" + Guid.NewGuid().ToString("N"));

    public ReportFileTests() => Directory.CreateDirectory(folder);

    public void Dispose()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a test.
        }
    }

    [Fact]
    public void JsonRoundTripsAndUsesCamelCaseWithNullsForUndefinedMetrics()
    {
        var report = ReportWithUndefinedMetric();
        var path = Path.Combine(folder, "report.json");
        report.SaveJson(path);

        var loaded = EvaluationReport.LoadJson(path);
        loaded.Should().BeEquivalentTo(report);
        loaded.CreatedUtc.Kind.Should().Be(DateTimeKind.Utc);
        loaded.CreatedUtc.Should().BeCloseTo(DateTime.UtcNow, TimeSpan.FromMinutes(5));

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        root.GetProperty("formatVersion").GetInt32().Should().Be(1);
        root.GetProperty("createdUtc").GetString().Should().EndWith("Z");
        root.GetProperty("properties").GetProperty("category").GetString().Should().Be("synthetic");
        var overall = root.GetProperty("overall");
        overall.GetProperty("images").GetInt32().Should().Be(6);
        overall.GetProperty("defectiveImages").GetInt32().Should().Be(4);
        overall.GetProperty("imageAuroc").GetDouble().Should().Be(0.875);
        var crack = root.GetProperty("defectTypes")[0];
        crack.GetProperty("subset").GetString().Should().Be("crack");
        crack.GetProperty("aupro").ValueKind.Should().Be(JsonValueKind.Null);
        crack.GetProperty("undefined")[0].GetProperty("metric").GetString().Should().Be("pixelAuroc");
    }

    [Fact]
    public void CsvHasOneParsableRowPerSubsetInInvariantCulture()
    {
        var report = ReportWithUndefinedMetric();
        var path = Path.Combine(folder, "report.csv");
        var previous = CultureInfo.CurrentCulture;
        try
        {
            // A decimal comma culture must not leak into the file.
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            report.SaveCsv(path);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        var lines = File.ReadAllLines(path);
        lines[0].Should().Be("subset,images,defectiveImages,normalImages,imageAuroc,pixelAuroc,pixelAurocSmoothed,aupro,pixelAveragePrecision,imageF1Max,imageF1Threshold,auproFprLimit");
        lines.Should().HaveCount(4);
        var rows = report.Subsets.ToList();
        for (var r = 0; r < rows.Count; r++)
        {
            var cells = lines[r + 1].Split(',');
            cells.Should().HaveCount(12);
            cells[0].Should().Be(rows[r].Subset);
            int.Parse(cells[1], CultureInfo.InvariantCulture).Should().Be(rows[r].Images);
            Parse(cells[4]).Should().Be(rows[r].ImageAuroc);
            Parse(cells[5]).Should().Be(rows[r].PixelAuroc);
            Parse(cells[7]).Should().Be(rows[r].Aupro, "values are written with round-trip precision");
            Parse(cells[10]).Should().Be(rows[r].ImageF1Threshold);
            Parse(cells[11]).Should().Be(0.3);
        }

        lines[2].Split(',')[5].Should().BeEmpty("crack's pixel AUROC is undefined");
    }

    [Fact]
    public void CsvQuotesSubsetNamesWithSeparators()
    {
        var samples = SyntheticEvaluationSet.Create();
        samples[2] = samples[2] with { DefectType = "crack, \"deep\"" };
        var csv = SyntheticEvaluationSet.Builder(samples).Build().ToCsv();
        csv.Split('\n').Should().Contain(line => line.StartsWith("\"crack, \"\"deep\"\"\",3,", StringComparison.Ordinal));
    }

    [Fact]
    public void SavingReplacesTheFileAndLeavesNoTemporaryFile()
    {
        var report = SyntheticEvaluationSet.Builder(SyntheticEvaluationSet.Create()).Build();
        var json = Path.Combine(folder, "report.json");
        var csv = Path.Combine(folder, "report.csv");
        File.WriteAllText(json, "old");
        report.SaveJson(json);
        report.SaveCsv(csv);
        report.SaveCsv(csv);

        Directory.GetFiles(folder).Select(Path.GetFileName).Should().BeEquivalentTo(["report.json", "report.csv"]);
        File.ReadAllText(json).Should().Be(report.ToJson());
        File.ReadAllText(csv).Should().Be(report.ToCsv());
    }

    [Fact]
    public void BadPathsGiveErrorsNamingThePath()
    {
        var report = SyntheticEvaluationSet.Builder(SyntheticEvaluationSet.Create()).Build();
        var missingFolder = Path.Combine(folder, "no-such-folder", "report.json");
        var act = () => report.SaveJson(missingFolder);
        act.Should().Throw<DirectoryNotFoundException>().WithMessage($"*'{missingFolder}'*does not exist*");

        // A folder in the way is refused before anything is written.
        var occupied = Path.Combine(folder, "taken");
        Directory.CreateDirectory(occupied);
        var blocked = () => report.SaveCsv(occupied);
        blocked.Should().Throw<ArgumentException>().WithMessage($"Cannot write the evaluation report (CSV) '{occupied}': the path names a folder*");
        Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Should().Equal("taken");

        var load = () => EvaluationReport.LoadJson(Path.Combine(folder, "absent.json"));
        load.Should().Throw<FileNotFoundException>().WithMessage("*absent.json*");
    }

    [Fact]
    public void LoadingRejectsOtherContentNamingTheFile()
    {
        var path = Path.Combine(folder, "bad.json");
        File.WriteAllText(path, "{\"formatVersion\": 1}");
        var missing = () => EvaluationReport.LoadJson(path);
        missing.Should().Throw<FormatException>().WithMessage($"Evaluation report '{path}' is not valid*");

        var report = SyntheticEvaluationSet.Builder(SyntheticEvaluationSet.Create()).Build();
        File.WriteAllText(path, report.ToJson().Replace("\"formatVersion\": 1", "\"formatVersion\": 7", StringComparison.Ordinal));
        var future = () => EvaluationReport.LoadJson(path);
        future.Should().Throw<FormatException>().WithMessage("*format version 7*");
    }

    private static EvaluationReport ReportWithUndefinedMetric()
    {
        var samples = SyntheticEvaluationSet.Create();
        samples[3] = samples[3] with { AnomalyMap = null, Mask = null };
        var report = SyntheticEvaluationSet.Builder(samples).Build();
        return report with { Properties = new Dictionary<string, string> { ["category"] = "synthetic" } };
    }

    private static double? Parse(string cell) => cell.Length == 0 ? null : double.Parse(cell, CultureInfo.InvariantCulture);
}

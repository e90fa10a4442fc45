using Anomaly.ED.Data;
using Anomaly.ED.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Anomaly.ED.Evaluation;

/// <summary>
/// The evaluation of a detector on a labelled test set: the metrics over all images (<see cref="Overall"/>) and per
/// defect type (<see cref="DefectTypes"/>: that type's images plus every normal image, the MVTec AD convention).
/// </summary>
/// <remarks>Built by <see cref="EvaluationReportBuilder"/> (from <c>EdDetector.Evaluate</c> or <see cref="Compute"/>); printed with <see cref="ToTable"/>, saved with <see cref="SaveJson"/> and <see cref="SaveCsv"/>.</remarks>
public sealed record EvaluationReport
{
    /// <summary>The subset name of the row over all images.</summary>
    public const string OverallName = "overall";

    /// <summary>The JSON format version written by this library.</summary>
    public const int CurrentFormatVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly string[] CsvColumns =
    [
        "subset", "images", "defectiveImages", "normalImages",
        MetricNames.ImageAuroc, MetricNames.PixelAuroc, MetricNames.PixelAurocSmoothed, MetricNames.Aupro,
        MetricNames.PixelAveragePrecision, MetricNames.ImageF1Max, MetricNames.ImageF1Threshold, "auproFprLimit",
    ];

    /// <summary>The JSON format version of this report.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>When the report was computed, in UTC.</summary>
    public DateTime CreatedUtc { get; init; }

    /// <summary>Height of the evaluated maps in pixels.</summary>
    public int MapHeight { get; init; }

    /// <summary>Width of the evaluated maps in pixels.</summary>
    public int MapWidth { get; init; }

    /// <summary>The false-positive-rate limit of <see cref="MetricSet.Aupro"/>.</summary>
    public double AuproFprLimit { get; init; }

    /// <summary>The metrics over every image.</summary>
    public required MetricSet Overall { get; init; }

    /// <summary>The metrics per defect type, in ordinal order of the type names; each subset is that type's images plus every normal image.</summary>
    public required IReadOnlyList<MetricSet> DefectTypes { get; init; }

    /// <summary>Free-form descriptions the caller adds (dataset, category, detector settings); empty by default.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>The overall row followed by the defect-type rows.</summary>
    [JsonIgnore]
    public IEnumerable<MetricSet> Subsets => DefectTypes.Prepend(Overall);

    /// <summary>
    /// Evaluates a labelled test set with any predictor, such as an exported graph run by <c>OnnxDetector</c>: the images
    /// are decoded in batches and handed to <paramref name="predict"/>, whose maps must be at the model's resolution, and each
    /// decoded mask to <paramref name="transformMask"/>, which must bring it to the maps' geometry as the model's transform
    /// does (<c>OnnxDetector.TransformMask</c>), so that the metrics are those of <see cref="EdDetector.Evaluate(ImageDataset, IProgress{int}?, CancellationToken)"/>.
    /// </summary>
    /// <param name="testSet">Normal and defective images with masks.</param>
    /// <param name="predict">Scores decoded RGB images, one prediction per image in order; a prediction's
    /// <see cref="AnomalyPrediction.UnsmoothedMap"/>, when set, gives the unsmoothed pixel AUROC.</param>
    /// <param name="transformMask">A decoded one-channel mask (of its image's size) in the maps' geometry, row-major, true where defective.</param>
    /// <param name="batchSize">Images per call of <paramref name="predict"/>.</param>
    /// <param name="progress">Receives the number of images scored so far.</param>
    /// <param name="onImage">Receives each image with its prediction and mask, in dataset order, on the calling thread; null for none.</param>
    /// <param name="cancellationToken">Cancels the evaluation between batches.</param>
    /// <exception cref="ArgumentException">The test set is empty, or a map or mask has another size than the first map.</exception>
    /// <exception cref="InvalidOperationException">The predictor returned another number of predictions than images.</exception>
    /// <exception cref="DatasetException">A mask does not have its image's size.</exception>
    public static EvaluationReport Compute(
        ImageDataset testSet,
        Func<IReadOnlyList<ImageBuffer>, IReadOnlyList<AnomalyPrediction>> predict,
        Func<ImageBuffer, bool[]> transformMask,
        int batchSize = 8,
        IProgress<int>? progress = null,
        Action<EvaluatedImage>? onImage = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(testSet);
        ArgumentNullException.ThrowIfNull(predict);
        ArgumentNullException.ThrowIfNull(transformMask);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return PredictorEvaluation.Run(testSet, predict, transformMask, batchSize, progress, onImage, cancellationToken);
    }

    /// <summary>Reads a report written by <see cref="SaveJson"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is not a report of a known format version; the message names the file.</exception>
    public static EvaluationReport LoadJson(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Evaluation report '{fullPath}' does not exist.", fullPath);
        }

        return FromJson(File.ReadAllText(fullPath), fullPath);
    }

    /// <summary>Parses a report from JSON text as written by <see cref="ToJson"/>.</summary>
    /// <exception cref="FormatException">The text is not a report of a known format version.</exception>
    public static EvaluationReport FromJson(string json) => FromJson(json, "(JSON text)");

    /// <summary>The report as indented camelCase JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (temporary file in the same folder, then a move).</summary>
    /// <exception cref="IOException">The file cannot be written; the message names it.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public void SaveJson(string path) => AtomicFile.WriteAllText(path, ToJson(), "evaluation report (JSON)");

    /// <summary>The report as CSV: a header, then one row per subset; numbers in invariant culture with round-trip precision, empty where undefined.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', CsvColumns).Append('\n');
        foreach (var row in Subsets)
        {
            var fields = new[]
            {
                CsvField(row.Subset), Integer(row.Images), Integer(row.DefectiveImages), Integer(row.NormalImages),
                Number(row.ImageAuroc), Number(row.PixelAuroc), Number(row.PixelAurocSmoothed), Number(row.Aupro),
                Number(row.PixelAveragePrecision), Number(row.ImageF1Max), Number(row.ImageF1Threshold), Number(AuproFprLimit),
            };
            csv.AppendJoin(',', fields).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/> atomically (temporary file in the same folder, then a move).</summary>
    /// <exception cref="IOException">The file cannot be written; the message names it.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public void SaveCsv(string path) => AtomicFile.WriteAllText(path, ToCsv(), "evaluation report (CSV)");

    /// <summary>An aligned text table, one row per subset, "-" where a metric is undefined, followed by the reasons.</summary>
    public string ToTable()
    {
        string[] header =
        [
            "subset", "images", "defective", "normal", "image AUROC", "pixel AUROC", "pixel AUROC (smoothed)",
            FormattableString.Invariant($"AUPRO@{AuproFprLimit:0.###}"), "pixel AP", "image F1-max", "F1 threshold",
        ];
        var rows = Subsets.Select(r => new[]
        {
            r.Subset, Integer(r.Images), Integer(r.DefectiveImages), Integer(r.NormalImages),
            Metric(r.ImageAuroc), Metric(r.PixelAuroc), Metric(r.PixelAurocSmoothed), Metric(r.Aupro),
            Metric(r.PixelAveragePrecision), Metric(r.ImageF1Max),
            r.ImageF1Threshold is { } t ? t.ToString("G6", CultureInfo.InvariantCulture) : "-",
        }).ToList();

        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        var table = new StringBuilder();
        AppendRow(table, header, widths);
        table.AppendJoin("  ", widths.Select(w => new string('-', w))).Append('\n');
        foreach (var row in rows)
        {
            AppendRow(table, row, widths);
        }

        foreach (var row in Subsets)
        {
            foreach (var note in row.Undefined)
            {
                table.Append(CultureInfo.InvariantCulture, $"{row.Subset}: {note.Metric} undefined: {note.Reason}\n");
            }
        }

        return table.ToString();
    }

    /// <summary>The same text as <see cref="ToTable"/>.</summary>
    public override string ToString() => ToTable();

    private static EvaluationReport FromJson(string json, string source)
    {
        EvaluationReport? report;
        try
        {
            report = JsonSerializer.Deserialize<EvaluationReport>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Evaluation report '{source}' is not valid: {ex.Message}", ex);
        }

        if (report is null)
        {
            throw new FormatException($"Evaluation report '{source}' is empty (JSON null).");
        }

        if (report.FormatVersion != CurrentFormatVersion)
        {
            throw new FormatException($"Evaluation report '{source}' has format version {report.FormatVersion}; this library reads version {CurrentFormatVersion}.");
        }

        return report;
    }

    private static void AppendRow(StringBuilder table, string[] cells, int[] widths)
    {
        for (var c = 0; c < cells.Length; c++)
        {
            // The subset name is left-aligned, numbers right-aligned.
            table.Append(c == 0 ? cells[c].PadRight(widths[c]) : cells[c].PadLeft(widths[c]));
            table.Append(c == cells.Length - 1 ? "\n" : "  ");
        }
    }

    private static string Metric(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "-";

    private static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    private static string CsvField(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}

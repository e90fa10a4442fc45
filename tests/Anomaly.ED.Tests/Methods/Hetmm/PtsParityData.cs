using System.Text.Json;
using System.Text.Json.Serialization;

namespace Anomaly.ED.Tests.Methods.Hetmm;

/// <summary>
/// Cases of pts-parity.json: small L2-normalised template sets with the labels scikit-learn 1.2.1's OPTICS assigns
/// and the template indices the reference PTS kernel chooses per position (made by make_pts_parity.py).
/// </summary>
public sealed record PtsParityCase(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("c")] int C,
    [property: JsonPropertyName("h")] int H,
    [property: JsonPropertyName("w")] int W,
    [property: JsonPropertyName("sheets")] int Sheets,
    [property: JsonPropertyName("templates")] float[] Templates,
    [property: JsonPropertyName("labels")] int[][] Labels,
    [property: JsonPropertyName("selected")] int[][] Selected)
{
    public override string ToString() => Name;

    /// <summary>Row-major N x N float64 dot products of the N vectors at <paramref name="position"/>.</summary>
    public double[] Similarity(int position)
    {
        var positions = H * W;
        var similarity = new double[N * N];
        for (var i = 0; i < N; i++)
        {
            for (var j = 0; j < N; j++)
            {
                var sum = 0.0;
                for (var c = 0; c < C; c++)
                {
                    sum += (double)Templates[((i * C) + c) * positions + position] * Templates[((j * C) + c) * positions + position];
                }

                similarity[i * N + j] = sum;
            }
        }

        return similarity;
    }

    public static IReadOnlyList<PtsParityCase> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Methods", "Hetmm", "pts-parity.json");
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.GetProperty("cases").Deserialize<PtsParityCase[]>()!;
    }

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in Load())
        {
            data.Add(c.Name);
        }

        return data;
    }

    public static PtsParityCase Get(string name) => Load().Single(c => c.Name == name);
}

using Anomaly.ED.Scoring;
using Anomaly.ED.Visualization;
using Microsoft.AspNetCore.Http;

namespace Anomaly.ED.AspNetCore.Endpoints;

/// <summary>The web page's files, embedded in the assembly and served from memory, and the colour bar drawn by the library.</summary>
internal static class WebPage
{
    private static readonly Dictionary<string, (byte[] Content, string ContentType)> Files = Load();

    /// <summary>The jet colour scale from low (left) to high (right), exactly as the overlays use it.</summary>
    private static readonly Lazy<byte[]> ColorBar = new(() =>
    {
        const int width = 256;
        var values = new float[width * 2];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (i % width) / (float)(width - 1);
        }

        return PngFile.Encode(Heatmap.Render(new AnomalyMap(2, width, values), Colormap.Jet, HeatmapRange.Unit));
    });

    public static IReadOnlyCollection<string> Names => Files.Keys;

    public static IResult File(string name) => Files.TryGetValue(name, out var file)
        ? Results.Bytes(file.Content, file.ContentType)
        : Results.NotFound();

    public static IResult ColorBarPng() => Results.Bytes(ColorBar.Value, "image/png");

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(WebPage).Assembly;
        const string prefix = "wwwroot/";
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var content = new MemoryStream();
            stream.CopyTo(content);
            var name = resource[prefix.Length..];
            files[name] = (content.ToArray(), ContentType(name));
        }

        return files;
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    };
}

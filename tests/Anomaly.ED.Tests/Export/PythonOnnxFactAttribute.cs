using System.Diagnostics;

namespace Anomaly.ED.Tests.Export;

/// <summary>A fact that needs Debian's python3 with the onnx module (apt-get install python3-onnx), skipped with the reason shown without it.</summary>
public sealed class PythonOnnxFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(FindMissing);

    public PythonOnnxFactAttribute()
    {
        if (Missing.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? FindMissing()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is absent; install python3-onnx to run the ONNX checker.";
        }

        using var process = Process.Start(new ProcessStartInfo(Python, ["-c", "import onnx"]) { RedirectStandardError = true })!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : $"{Python} has no onnx module; install python3-onnx to run the ONNX checker.";
    }
}

using System.Diagnostics;
using System.Text;

namespace Anomaly.ED.Tests.Build;

/// <summary>The result of one child process: its exit code and its standard output and error, interleaved.</summary>
internal sealed record ProcessResult(int ExitCode, string Output);

/// <summary>
/// Runs the .NET SDK (and programs built with it) as a new user's machine would: PATH holds a folder with nothing
/// but a link to the dotnet executable, so no native tool (patchelf, g++, readelf...) can be found, and none of
/// the parent build's MSBuild variables leak in. Node reuse is off so no build server outlives the test.
/// </summary>
internal sealed class IsolatedDotnet
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(8);

    public IsolatedDotnet(string toolsFolder)
    {
        ToolsFolder = toolsFolder;
        Directory.CreateDirectory(toolsFolder);
        File.CreateSymbolicLink(Path.Combine(toolsFolder, "dotnet"), FindDotnet());
    }

    /// <summary>The only folder on the children's PATH.</summary>
    public string ToolsFolder { get; }

    public ProcessResult Dotnet(string workingDirectory, params string[] arguments) =>
        Run(Path.Combine(ToolsFolder, "dotnet"), workingDirectory, arguments);

    public ProcessResult Run(string program, string workingDirectory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.ToList())
        {
            // The parent `dotnet test` points MSBuild at its own SDK and nodes; NUGET_PACKAGES and the like stay.
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) ||
                name == "DOTNET_HOST_PATH")
            {
                info.Environment.Remove(name);
            }
        }

        info.Environment["PATH"] = ToolsFolder;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{program} {string.Join(' ', arguments)}' ran longer than {Timeout}:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            return new ProcessResult(process.ExitCode, output.ToString());
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    /// <summary>The dotnet executable running this test (the SDK's host), with links resolved.</summary>
    private static string FindDotnet()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"), Environment.ProcessPath }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "dotnet")));
        foreach (var candidate in candidates)
        {
            if (candidate is { Length: > 0 } && Path.GetFileName(candidate) == "dotnet" && File.Exists(candidate))
            {
                return new FileInfo(candidate).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate;
            }
        }

        throw new InvalidOperationException("The dotnet executable was found neither in DOTNET_HOST_PATH, nor as this process, nor on PATH.");
    }
}

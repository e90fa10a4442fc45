using System.Text.RegularExpressions;

namespace Anomaly.ED.Pretrained;

/// <summary>
/// A checkpoint file on the Hugging Face hub: <c>https://huggingface.co/&lt;Repository&gt;/resolve/&lt;Revision&gt;/&lt;FileName&gt;</c>,
/// or a file shipped in a NuGet package (<see cref="Package"/>).
/// </summary>
public sealed partial record PretrainedCheckpoint
{
    /// <summary>Describes a checkpoint.</summary>
    /// <param name="name">The catalog name, e.g. <c>"wide_resnet50_2.tv_in1k"</c>.</param>
    /// <param name="architecture">The backbone it fits, e.g. <c>"wide_resnet50_2"</c>.</param>
    /// <param name="repository">The hub repository, <c>owner/name</c>, e.g. <c>"timm/wide_resnet50_2.tv_in1k"</c>.</param>
    /// <param name="fileName">The file in the repository; a safetensors file.</param>
    /// <param name="revision">The branch, tag or commit to download from.</param>
    /// <param name="sha256">The expected SHA-256 of the file (64 hex digits), or null to skip verification.</param>
    /// <exception cref="ArgumentException">A part is empty or would escape the cache folder, or the hash is not 64 hex digits.</exception>
    public PretrainedCheckpoint(string name, string architecture, string repository, string fileName = "model.safetensors", string revision = "main", string? sha256 = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(architecture);
        if (!RepositoryPattern().IsMatch(repository ?? string.Empty) || repository!.Split('/').Any(p => p is "." or ".."))
        {
            throw new ArgumentException($"Repository '{repository}' is not of the form owner/name (letters, digits, '.', '_', '-').", nameof(repository));
        }

        if (!SegmentPattern().IsMatch(fileName ?? string.Empty) || fileName is "." or "..")
        {
            throw new ArgumentException($"File name '{fileName}' must be a plain file name (letters, digits, '.', '_', '-').", nameof(fileName));
        }

        if (!SegmentPattern().IsMatch(revision ?? string.Empty) || revision is "." or "..")
        {
            throw new ArgumentException($"Revision '{revision}' must be a branch, tag or commit (letters, digits, '.', '_', '-').", nameof(revision));
        }

        if (sha256 is not null && !Sha256Pattern().IsMatch(sha256))
        {
            throw new ArgumentException($"SHA-256 '{sha256}' is not 64 hexadecimal digits.", nameof(sha256));
        }

        Name = name;
        Architecture = architecture;
        Repository = repository;
        FileName = fileName!;
        Revision = revision!;
        Sha256 = sha256?.ToLowerInvariant();
    }

    /// <summary>Describes a checkpoint shipped in a NuGet package; it is found locally and never downloaded by the cache.</summary>
    /// <param name="name">The catalog name, e.g. <c>"resnet18.mlnet_in1k"</c>.</param>
    /// <param name="architecture">The backbone it fits, e.g. <c>"resnet18"</c>.</param>
    /// <param name="package">The package file.</param>
    internal PretrainedCheckpoint(string name, string architecture, NuGetPackageFile package)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(architecture);
        ArgumentNullException.ThrowIfNull(package);
        Name = name;
        Architecture = architecture;
        Package = package;
        Repository = package.PackageId;
        FileName = Path.GetFileName(package.PathInPackage);
        Revision = package.Version;
    }

    /// <summary>The catalog name, e.g. <c>"wide_resnet50_2.tv_in1k"</c>.</summary>
    public string Name { get; }

    /// <summary>The backbone architecture the weights fit.</summary>
    public string Architecture { get; }

    /// <summary>The hub repository, <c>owner/name</c>; for a <see cref="Package"/> checkpoint, the package id.</summary>
    public string Repository { get; }

    /// <summary>The file name in the repository (or package).</summary>
    public string FileName { get; }

    /// <summary>The branch, tag or commit downloaded from; for a <see cref="Package"/> checkpoint, the package version.</summary>
    public string Revision { get; }

    /// <summary>The NuGet package file that holds the weights, or null for a hub checkpoint.</summary>
    internal NuGetPackageFile? Package { get; }

    /// <summary>The expected SHA-256 (lower-case hex), or null when not verified.</summary>
    public string? Sha256 { get; }

    /// <summary>The path relative to the hub's base address: <c>&lt;repository&gt;/resolve/&lt;revision&gt;/&lt;file&gt;</c>.</summary>
    public string RelativeUrl => $"{Repository}/resolve/{Revision}/{FileName}";

    /// <summary>The path relative to the cache folder: <c>&lt;owner&gt;/&lt;name&gt;/&lt;revision&gt;/&lt;file&gt;</c>.</summary>
    public string RelativeCachePath => Path.Combine([.. Repository.Split('/'), Revision, FileName]);

    [GeneratedRegex("^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex SegmentPattern();

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex Sha256Pattern();
}

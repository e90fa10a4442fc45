using System.Net;

namespace Anomaly.ED.Pretrained;

/// <summary>A checkpoint could not be downloaded completely and correctly; nothing was written to the cache.</summary>
public sealed class PretrainedDownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    public PretrainedDownloadException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong, naming the URL.</param>
    public PretrainedDownloadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong, naming the URL.</param>
    /// <param name="innerException">The underlying error.</param>
    public PretrainedDownloadException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a download from <paramref name="url"/>.</summary>
    /// <param name="message">What went wrong, naming the URL.</param>
    /// <param name="url">The URL requested.</param>
    /// <param name="statusCode">The HTTP status, when the server answered with an error.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PretrainedDownloadException(string message, Uri url, HttpStatusCode? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Url = url;
        StatusCode = statusCode;
    }

    /// <summary>The URL requested, when known.</summary>
    public Uri? Url { get; }

    /// <summary>The HTTP status of an error response, when the server answered with one.</summary>
    public HttpStatusCode? StatusCode { get; }
}

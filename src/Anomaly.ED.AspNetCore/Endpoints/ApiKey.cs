using System.Security.Cryptography;
using System.Text;

namespace Anomaly.ED.AspNetCore.Endpoints;

/// <summary>The optional API key check.</summary>
internal static class ApiKey
{
    public const string Header = ServiceDefaults.ApiKeyHeader;

    // Compared in constant time, so response timing does not reveal how much of a guess was right.
    public static bool Matches(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(given)));
}

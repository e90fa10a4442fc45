using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// A seeded mutation fuzzer for readers of outside bytes: structural truncations, bit flips, byte runs, and
/// splices of hostile text into the header region, bounded in count and time. Each case runs the target, which must
/// either succeed or throw one of the allowed (documented) exception types; anything else is a finding, and its input
/// is written to the temporary folder <c>anomaly-ed-fuzz-findings</c>, to be kept in <c>Reliability/FuzzRegressions/</c>.
/// </summary>
internal sealed class MutationFuzzer
{
    private static readonly string[] HostileTokens =
    [
        "18446744073709551615", "9223372036854775807", "-1", "4294967296", "1e309", "NaN", "[", "{", "}", "]", "\"\"",
        "\"../../etc/passwd\"", "\"\\u0000\"", "\"F64\"", "\"BOOL\"", "\"X9\"", "[[[[[[[[[[[[[[[[[[[[[[[[", "null", "true",
        "\"data_offsets\":[0,0]", "\"shape\":[4294967296,4294967296]", "\"data_offsets\":[8,4]",
    ];

    private readonly Random random;

    public MutationFuzzer(int seed) => random = new Random(seed);

    /// <summary>How long the random phase may run; a longer run is asked for with the ANOMALY_ED_FUZZ_SECONDS variable.</summary>
    public static TimeSpan Budget(double defaultSeconds) =>
        TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("ANOMALY_ED_FUZZ_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : defaultSeconds);

    /// <summary>The case limit of a run: the default for the test suite, unbounded when a longer run is asked for.</summary>
    public static int MaxCases(int defaultCases) =>
        Environment.GetEnvironmentVariable("ANOMALY_ED_FUZZ_SECONDS") is null ? defaultCases : int.MaxValue;

    /// <summary>Every prefix ending at one of <paramref name="boundaries"/> (and one byte either side of it).</summary>
    public static IEnumerable<byte[]> Truncations(byte[] input, IEnumerable<int> boundaries)
    {
        foreach (var at in boundaries.SelectMany(b => new[] { b - 1, b, b + 1 }).Where(b => b >= 0 && b < input.Length).Distinct().Order())
        {
            yield return input[..at];
        }
    }

    /// <summary>A case of a two-file target: the first byte says which file (<paramref name="tag"/>) the rest replaces.</summary>
    public static byte[] Tagged(byte tag, byte[] bytes) => [tag, .. bytes];

    /// <summary>One random mutation of <paramref name="input"/>; <paramref name="headerLength"/> bytes at the start are favoured.</summary>
    public byte[] Mutate(byte[] input, int headerLength)
    {
        var bytes = (byte[])input.Clone();
        var region = Math.Max(1, Math.Min(headerLength, bytes.Length));
        switch (random.Next(6))
        {
            case 0:
                for (var i = random.Next(1, 9); i > 0; i--)
                {
                    var at = random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }

                return bytes;
            case 1:
            {
                var at = random.Next(region);
                var value = (byte)random.Next(256);
                bytes.AsSpan(at, Math.Min(random.Next(1, 16), bytes.Length - at)).Fill(value);
                return bytes;
            }

            case 2:
                return bytes[..random.Next(bytes.Length)];
            case 3:
            {
                var token = Encoding.UTF8.GetBytes(HostileTokens[random.Next(HostileTokens.Length)]);
                var at = random.Next(region);
                return [.. bytes[..at], .. token, .. bytes[Math.Min(bytes.Length, at + random.Next(0, token.Length + 1))..]];
            }

            case 4:
            {
                // A length or size field somewhere in the header region set to an extreme value.
                if (bytes.Length < 8)
                {
                    return bytes;
                }

                var at = random.Next(Math.Min(region, bytes.Length - 8) + 1);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at, 8), random.Next(2) == 0 ? ulong.MaxValue : (ulong)random.NextInt64());
                return bytes;
            }

            default:
            {
                var at = random.Next(bytes.Length);
                var length = random.Next(1, Math.Min(64, bytes.Length - at) + 1);
                return [.. bytes[..at], .. bytes.AsSpan(at, length), .. bytes[at..]];
            }
        }
    }

    /// <summary>How long one case may run before it counts as a hang.</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="target"/> on every input; returns the findings: inputs that ended in a disallowed exception,
    /// that ran longer than <see cref="CaseTimeout"/> (a hang: the run stops there), or whose managed allocations
    /// exceeded <paramref name="allocationLimit"/> of the input's length (an unbounded allocation).
    /// </summary>
    public static FuzzReport Run(string name, IEnumerable<byte[]> inputs, Action<byte[]> target, IReadOnlyList<Type> allowed, TimeSpan budget, int maxCases, Func<int, long>? allocationLimit = null)
    {
        var watch = Stopwatch.StartNew();
        var report = new FuzzReport(name);
        foreach (var input in inputs)
        {
            if (report.Cases >= maxCases || watch.Elapsed > budget)
            {
                break;
            }

            report.Cases++;
            long allocated = 0;
            var run = Task.Factory.StartNew(
                () =>
                {
                    var before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        target(input);
                    }
                    finally
                    {
                        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            Exception? error = null;
            try
            {
                if (!run.Wait(CaseTimeout))
                {
                    report.Findings.Add((input, new TimeoutException($"the case ran longer than {CaseTimeout.TotalSeconds} s (a hang)")));
                    SaveFinding(name, input);
                    break;
                }
            }
            catch (AggregateException e)
            {
                error = e.InnerException;
            }

            if (allocationLimit is not null && allocated > allocationLimit(input.Length))
            {
                report.Findings.Add((input, new InsufficientMemoryException($"the case allocated {allocated >> 20} MiB for {input.Length} input bytes")));
                SaveFinding(name, input);
            }
            else if (error is null)
            {
                report.Accepted++;
            }
            else if (allowed.Any(t => t.IsInstanceOfType(error)))
            {
                report.Rejected++;
                var message = error.Message[(error.Message.IndexOf("': ", StringComparison.Ordinal) + 1)..].TrimStart(':', ' ');
                var reason = $"{error.GetType().Name}: {message[..Math.Min(message.Length, 100)]}";
                report.Reasons[reason] = report.Reasons.GetValueOrDefault(reason) + 1;
            }
            else
            {
                report.Findings.Add((input, error));
                SaveFinding(name, input);
            }
        }

        report.Elapsed = watch.Elapsed;
        return report;
    }

    private static void SaveFinding(string name, byte[] input)
    {
        var folder = Path.Combine(Path.GetTempPath(), "anomaly-ed-fuzz-findings");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, $"{name}-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(input))[..16]}.bin"), input);
    }
}

/// <summary>What one fuzz run did.</summary>
internal sealed class FuzzReport(string name)
{
    public string Name { get; } = name;

    public int Cases { get; set; }

    public int Accepted { get; set; }

    public int Rejected { get; set; }

    public TimeSpan Elapsed { get; set; }

    /// <summary>How often each refusal (type and the start of its message) occurred.</summary>
    public Dictionary<string, int> Reasons { get; } = [];

    public List<(byte[] Input, Exception Error)> Findings { get; } = [];

    public override string ToString() =>
        $"{Name}: {Cases} cases in {Elapsed.TotalSeconds:F1} s, {Accepted} read, {Rejected} refused with the documented exception, {Findings.Count} findings"
        + string.Concat(Reasons.OrderByDescending(r => r.Value).Take(6).Select(r => $"\n  {r.Value} x {r.Key}"))
        + string.Concat(Findings.Take(3).Select(f => $"\n  {f.Error.GetType().Name}: {f.Error.Message} ({f.Input.Length} bytes)\n{f.Error.StackTrace}"));
}

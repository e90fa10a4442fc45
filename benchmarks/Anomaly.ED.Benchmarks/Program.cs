using Anomaly.ED.Benchmarks;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

if (PredictionProcess.TryRun(args, out var exitCode))
{
    return exitCode;
}

if (ColdStartBenchmark.TryRunChild(args))
{
    return 0;
}

if (CoTenancyBenchmark.TryRunChild(args))
{
    return 0;
}

if (args.Length > 0 && args[0] == "cotenancy")
{
    return CoTenancyBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "serve-load")
{
    return ServeLoadBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "coldstart")
{
    return ColdStartBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "e2e")
{
    return EndToEndBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "hetmm")
{
    return HetmmBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "precision")
{
    return PrecisionBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "match")
{
    return MatchingBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "onnx")
{
    return OnnxRuntimeBenchmark.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "pts")
{
    return PtsBenchmark.Run(args[1..]);
}

// In process: a separately generated benchmark project would lack the TorchSharp runtime bundle reference and the
// Linux native-library patch that this project's build applies (docs/linux-native-libraries.md).
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;

#!/usr/bin/env bash
# A longer fuzz run than the test suite's: SECONDS per reader (default 600), after the regression folder replay.
# Readers: safetensors, model files, images, PyTorch checkpoints (state dicts and ResNet loading), ONNX (ML.NET's
# ResNet18 import), reference checkpoints (EdDetector.ImportReferenceCheckpoint) and dataset folder trees.
# New findings are written to the temporary folder anomaly-ed-fuzz-findings (see docs/reliability.md).
# Like every benchmark, run it alone: flock /tmp/bench.lock benchmarks/fuzz.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
ANOMALY_ED_FUZZ_SECONDS="${1:-600}" dotnet test tests/Anomaly.ED.Tests --filter "FullyQualifiedName~FuzzTests" \
  --logger "console;verbosity=detailed"

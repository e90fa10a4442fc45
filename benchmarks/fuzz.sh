#!/usr/bin/env bash
# A longer fuzz run than the test suite's: SECONDS per reader (default 600), then the regression folder replay.
# New findings are written to the temporary folder anomaly-ed-fuzz-findings (see docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ANOMALY_ED_FUZZ_SECONDS="${1:-600}" dotnet test tests/Anomaly.ED.Tests --filter "FullyQualifiedName~FuzzTests" \
  --logger "console;verbosity=detailed"

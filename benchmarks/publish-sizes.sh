#!/usr/bin/env bash
# Publishes the ONNX Runtime sample for linux-x64 twice, on ONNX Runtime and on TorchSharp (the same program), and
# prints the size of each deployment and whether any libtorch/TorchSharp file is in the ONNX Runtime one
# (docs/benchmarks.md). Usage: benchmarks/publish-sizes.sh [output-folder]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$(mktemp -d)}"
sample="$root/samples/Anomaly.ED.OnnxRuntime.Sample"
trap 'dotnet restore "$sample" -v q >/dev/null' EXIT  # leave the sample restored for its default build
for runtime in onnxruntime torchsharp; do
  dotnet publish "$sample" -c Release -r linux-x64 --self-contained false -p:SampleRuntime=$runtime -o "$out/$runtime" -v q -nologo >/dev/null
  printf '%-12s %6.1f MiB in %3d files (%s)\n' "$runtime" "$(du -sb "$out/$runtime" | cut -f1 | awk '{print $1 / 1048576}')" \
    "$(find "$out/$runtime" -type f | wc -l)" "$out/$runtime"
done
if find "$out/onnxruntime" -iname '*torch*' -o -iname 'libc10*' | grep -q .; then
  echo "error: the ONNX Runtime deployment holds libtorch or TorchSharp files" >&2
  exit 1
fi
echo "onnxruntime: no libtorch or TorchSharp file"

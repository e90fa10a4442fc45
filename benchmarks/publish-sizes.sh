#!/usr/bin/env bash
# Publishes the ONNX Runtime sample for linux-x64 twice, on ONNX Runtime and on TorchSharp (the same program), and the
# ONNX-only prediction service (samples/Anomaly.ED.OnnxService), and prints the size of each deployment and whether any
# libtorch/TorchSharp file is in the ONNX Runtime ones (docs/benchmarks.md). Usage: benchmarks/publish-sizes.sh [output-folder]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$(mktemp -d)}"
sample="$root/samples/Anomaly.ED.OnnxRuntime.Sample"
service="$root/samples/Anomaly.ED.OnnxService"
trap 'dotnet restore "$sample" -v q >/dev/null' EXIT  # leave the sample restored for its default build
size() {
  printf '%-12s %6.1f MiB in %3d files (%s)\n' "$1" "$(du -sb "$out/$1" | cut -f1 | awk '{print $1 / 1048576}')" \
    "$(find "$out/$1" -type f | wc -l)" "$out/$1"
}
for runtime in onnxruntime torchsharp; do
  dotnet publish "$sample" -c Release -r linux-x64 --self-contained false -p:SampleRuntime=$runtime -o "$out/$runtime" -v q -nologo >/dev/null
  size "$runtime"
done
dotnet publish "$service" -c Release -r linux-x64 --self-contained false -o "$out/service" -v q -nologo >/dev/null
size service
for deployment in onnxruntime service; do
  if find "$out/$deployment" -iname '*torch*' -o -iname 'libc10*' -o -name 'Anomaly.ED.dll' | grep -q .; then
    echo "error: the $deployment deployment holds libtorch, TorchSharp or Anomaly.ED files" >&2
    exit 1
  fi
done
echo "onnxruntime, service: no libtorch, TorchSharp or Anomaly.ED file"

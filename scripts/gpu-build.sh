#!/usr/bin/env bash
# gpu-build.sh — bin/gabor with the CUDA backend (-tags gpu). The binary runs
# only on a machine with an NVIDIA driver; the CPU build (make) runs anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/gpu-lib.sh
need_cuda_headers
[ -d cmd/gabor ] || { echo "gpu-build: cmd/gabor does not exist yet" >&2; exit 1; }
mkdir -p bin
go build -tags gpu -trimpath -o bin/gabor ./cmd/gabor
echo "gpu-build: bin/gabor (gpu)"

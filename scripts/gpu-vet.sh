#!/usr/bin/env bash
# gpu-vet.sh — compile-check the gpu build without a GPU (CI runs this):
# go vet and go build with -tags gpu, then `go test -c` of every package
# with gpu-tagged tests. Nothing is run: a gpu binary exits at start-up on a
# machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/gpu-lib.sh
need_cuda_headers

echo "gpu-vet: go vet -tags gpu ./..."
go vet -tags gpu ./...
echo "gpu-vet: go build -tags gpu ./..."
go build -tags gpu ./...
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for pkg in $(gpu_test_pkgs); do
	echo "gpu-vet: go test -c -tags gpu $pkg"
	go test -c -tags gpu -o "$tmp/$(pkg_name "$pkg").test" "$pkg"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "gpu-vet: no package has gpu-tagged tests" >&2; exit 1; }
echo "gpu-vet: ok ($n gpu test packages compiled)"

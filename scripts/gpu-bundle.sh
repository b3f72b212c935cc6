#!/usr/bin/env bash
# gpu-bundle.sh — everything the GPU machine needs to check gabor's CUDA
# side, in gpu-bundle/ (ignored by git), to carry there and run with
# gpu-bundle/run.sh (that machine has the driver but no Go):
#
#   gpu-bundle/bin/gabor          the CLI built with -tags gpu (when cmd/gabor exists)
#   gpu-bundle/tests/<pkg>.test   every package with gpu-tagged tests, compiled
#   gpu-bundle/pkg/<pkg>/         the directory each test binary runs in (its testdata)
#   gpu-bundle/run.sh             runs them all under LD_BIND_NOW=1 and prints a summary
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/gpu-lib.sh
need_cuda_headers

out=gpu-bundle
limit=$((64 << 20)) # what one carry to the GPU machine may hold
rm -rf "$out"
mkdir -p "$out/bin" "$out/tests" "$out/pkg"
# -ldflags=-w drops DWARF (a third of a binary) but keeps symbols, so
# panics and sanitizer backtraces still name functions.
flags=(-tags gpu -trimpath -ldflags=-w)
if [ -d cmd/gabor ]; then
	echo "gpu-bundle: bin/gabor"
	go build -tags gpu -trimpath -ldflags="-s -w" -o "$out/bin/gabor" ./cmd/gabor # no symbols: the CLI is only smoke-run here
else
	echo "gpu-bundle: cmd/gabor does not exist yet; no CLI in the bundle"
fi
n=0
for pkg in $(gpu_test_pkgs); do
	name=$(pkg_name "$pkg")
	echo "gpu-bundle: tests/$name.test"
	go test -c "${flags[@]}" -o "$out/tests/$name.test" "$pkg"
	mkdir -p "$out/pkg/$name"
	if [ -d "$pkg/testdata" ]; then
		cp -r "$pkg/testdata" "$out/pkg/$name/"
	fi
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "gpu-bundle: no package has gpu-tagged tests" >&2; exit 1; }
cp scripts/gpu-run.sh "$out/run.sh"
chmod +x "$out/run.sh"
git rev-parse HEAD >"$out/COMMIT" 2>/dev/null || true

size=$(du -sb "$out" | cut -f1)
echo "gpu-bundle: $n test binaries, $((size >> 20)) MiB in $out/"
if [ "$size" -gt "$limit" ]; then
	echo "gpu-bundle: $size bytes is over the $limit-byte carry limit" >&2
	exit 1
fi

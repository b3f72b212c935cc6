#!/usr/bin/env bash
# gpu-bundle.sh — everything the GPU machine needs to check gabor's CUDA
# side, in gpu-bundle/ (ignored by git), to carry there and run with
# gpu-bundle/run.sh (that machine has the driver but no Go):
#
#   gpu-bundle/bin/gabor          the CLI built with -tags gpu (when cmd/gabor exists)
#   gpu-bundle/tests/<pkg>.test   every package with gpu-tagged tests, compiled
#   gpu-bundle/pkg/<pkg>/         the directory each test binary runs in (its testdata)
#   gpu-bundle/run.sh             runs them all under LD_BIND_NOW=1 and prints a summary
#   gpu-bundle/unpack.sh          decompresses the binaries (carried as .xz); the run
#                                 scripts call it first
#   gpu-bundle/checks.sh          the CUDA executor's checks: parity, a full lenet
#                                 training, compute-sanitizer (scripts/gpu-checks.sh)
#   gpu-bundle/speed.sh           its speed measurements against PyTorch, in one call
#                                 (scripts/gpu-speed.sh, speed_table.py)
#   gpu-bundle/anchors/pytorch_ref.py   the PyTorch reference (from ../shared/anchors,
#                                 which does not travel to the GPU machine)
#   gpu-bundle/data/fashion-mnist/      the four Fashion-MNIST IDX files
#
# ANCHORS (default ../shared/anchors) and FASHION_DIR (default
# /usr/share/datasets/fashion-mnist) say where those come from; a missing
# one is reported and left out.
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
# xz shrinks Go binaries to a quarter, which keeps the bundle, the data and
# the working tree within one carry; unpack.sh (called by the run scripts)
# restores them on the GPU machine.
echo "gpu-bundle: compressing the binaries (xz)"
for f in "$out"/bin/* "$out"/tests/*.test; do
	[ -e "$f" ] || continue
	xz -T0 -6 "$f"
done
cp scripts/gpu-unpack.sh "$out/unpack.sh"
cp scripts/gpu-run.sh "$out/run.sh"
cp scripts/gpu-checks.sh "$out/checks.sh"
cp scripts/gpu-speed.sh "$out/speed.sh"
cp scripts/gpu-speed-table.py "$out/speed_table.py"
chmod +x "$out/run.sh" "$out/checks.sh" "$out/speed.sh" "$out/unpack.sh"
anchors=${ANCHORS:-../shared/anchors}
if [ -f "$anchors/pytorch_ref.py" ]; then
	mkdir -p "$out/anchors"
	cp "$anchors/pytorch_ref.py" "$out/anchors/"
else
	echo "gpu-bundle: $anchors/pytorch_ref.py not found: speed.sh will have no PyTorch rows" >&2
fi
fashion=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
if [ -f "$fashion/${files[0]}" ]; then
	mkdir -p "$out/data/fashion-mnist"
	for f in "${files[@]}"; do
		cp "$fashion/$f" "$out/data/fashion-mnist/"
	done
else
	echo "gpu-bundle: Fashion-MNIST not in $fashion (apt-get install dataset-fashion-mnist): checks.sh and speed.sh need it" >&2
fi
git rev-parse HEAD >"$out/COMMIT" 2>/dev/null || true

size=$(du -sb "$out" | cut -f1)
echo "gpu-bundle: $n test binaries, $((size >> 20)) MiB in $out/"
# What travels is the bundle plus the working tree (tracked and untracked,
# not ignored, files): the two together must fit.
tree=$( (git ls-files -z --cached --others --exclude-standard 2>/dev/null || true) | xargs -0 -r du -cb 2>/dev/null | tail -n 1 | cut -f1)
tree=${tree:-0}
echo "gpu-bundle: with the working tree ($((tree >> 20)) MiB): $(((size + tree) >> 20)) MiB to carry"
if [ "$size" -gt "$limit" ]; then
	echo "gpu-bundle: the bundle alone ($size bytes) is over the $limit-byte carry limit" >&2
	exit 1
fi
if [ $((size + tree)) -gt "$limit" ]; then
	echo "gpu-bundle: the bundle is ready, but with the working tree $((size + tree)) bytes are over the $limit-byte carry limit;" >&2
	echo "gpu-bundle: the largest files that would travel (remove them, or list them in .git/info/exclude):" >&2
	(git ls-files -z --cached --others --exclude-standard || true) | xargs -0 -r du -b 2>/dev/null | sort -rn | head -n 5 >&2 || true
	exit 1
fi

#!/usr/bin/env bash
# checks.sh — the CUDA executor's checks on the GPU machine, in one run
# (copied into gpu-bundle/ by scripts/gpu-bundle.sh; run it from there):
#
#   1. parity    the device loops against the host (kernels_cuda.test), and
#                mlp/lenet/convnet against the CPU: loss and gradients from
#                the same weights on the same batch (FP32 and TF32), 100
#                training steps tracking the CPU's losses with the CUDA graph
#                on, off, and with host-fed input (train.test -run ^TestGPU)
#   2. training  gabor train --device cuda: lenet, 3 epochs of Fashion-MNIST,
#                test accuracy ≥ 0.87 and within a point of the CPU run's
#   3. sanitizer compute-sanitizer memcheck over a short lenet training and
#                over the loop tests (graph and launches)
#
#   ./checks.sh [--quick] [--only parity|train|sanitize]
#
# --quick skips the CPU training run of step 2 (it takes a minute or so).
# Logs go to logs/; the last lines are a PASS/FAIL summary.
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$here/logs
work=$here/work
data=$here/data/fashion-mnist
quick=0 only=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--only) only=$2; shift ;;
	*) echo "checks.sh: unknown flag $1" >&2; exit 2 ;;
	esac
	shift
done
mkdir -p "$logs" "$work"
"$here/unpack.sh" || { echo "unpack.sh failed" >&2; exit 1; }
export LD_BIND_NOW=1 PYTHONUNBUFFERED=1
gabor=$here/bin/gabor
results=()
status=0
record() { # name rc log
	if [ "$2" -eq 0 ]; then
		results+=("PASS  $1")
	else
		results+=("FAIL  $1 (exit $2, log $3)")
		status=1
		echo "---- tail of $3"
		tail -n 30 "$3"
	fi
}
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

# sanitizer finds compute-sanitizer on PATH or in the usual CUDA folders.
sanitizer() {
	command -v compute-sanitizer 2>/dev/null && return
	ls -d /usr/local/cuda*/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer 2>/dev/null | head -n 1
}

# final_acc prints test_acc of the "done" event in a gabor train --json log.
final_acc() {
	python3 -c 'import json,sys
acc=None
for line in open(sys.argv[1]):
    line=line.strip()
    if line.startswith("{"):
        e=json.loads(line)
        if e.get("event")=="done": acc=e["test_acc"]
print(acc if acc is not None else "none")' "$1"
}

echo "== device"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "(nvidia-smi failed)"
[ -f "$here/COMMIT" ] && echo "== commit $(cat "$here/COMMIT")"
"$gabor" devices 2>&1 | tee "$logs/devices.log"

if want parity; then
	echo "== 1. parity: device loops (kernels_cuda)"
	(cd "$here/pkg/kernels_cuda" && "$here/tests/kernels_cuda.test" -test.v \
		-test.run 'CapturedStep|OutOfMemory') >"$logs/loops.log" 2>&1
	rc=$?
	grep -E '^(--- |ok|FAIL|PASS)' "$logs/loops.log" | tail -n 20
	record "1. device loops vs host" $rc "$logs/loops.log"

	echo "== 1. parity: models against the CPU (train ^TestGPU)"
	(cd "$here/pkg/train" && "$here/tests/train.test" -test.v -test.run '^TestGPU' -test.timeout 20m) >"$logs/parity.log" 2>&1
	rc=$?
	grep -E 'rel L2|mean rel diff|^\s*--- |^(ok|FAIL|PASS)' "$logs/parity.log" | tail -n 80
	record "1. model parity (gradients, 100 steps, graph on/off, host input)" $rc "$logs/parity.log"
fi

if want train; then
	echo "== 2. gabor train --device cuda: lenet, 3 epochs, Fashion-MNIST"
	rm -rf "$work/lenet-cuda" "$work/lenet-cpu"
	"$gabor" train --model lenet --epochs 3 --device cuda --dataset fashion-mnist --data "$data" \
		--json --out "$work/lenet-cuda" >"$logs/train-cuda.log" 2>&1
	rc=$?
	grep -E '"event":"(epoch|done)"' "$logs/train-cuda.log"
	acc=$(final_acc "$logs/train-cuda.log")
	echo "cuda test accuracy: $acc"
	if [ $rc -eq 0 ]; then
		python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.87 else 1)' "$acc" 2>/dev/null || rc=1
	fi
	record "2. lenet 3 epochs on cuda: test_acc $acc (want ≥ 0.87)" $rc "$logs/train-cuda.log"
	# The checkpoint must open with the real Python safetensors library and torch
	# (there here: safetensors 0.8, torch 2.x; Debian on the build machine has neither).
	ck="$work/lenet-cuda/checkpoint.safetensors"
	python3 - "$ck" >"$logs/safetensors.log" 2>&1 <<'PY'
import sys
from safetensors import safe_open
from safetensors.torch import load_file
import torch
path = sys.argv[1]
t = load_file(path)
with safe_open(path, framework="pt") as f:
    meta = f.metadata()
want = {"conv1.weight": (6, 1, 5, 5), "conv1.bias": (6,), "conv2.weight": (16, 6, 5, 5),
        "fc1.weight": (120, 400), "fc2.weight": (84, 120), "fc3.weight": (10, 84), "fc3.bias": (10,)}
for k, shape in want.items():
    assert k in t, f"{k} missing; have {sorted(t)}"
    assert tuple(t[k].shape) == shape, f"{k}: shape {tuple(t[k].shape)}, want {shape}"
    assert t[k].dtype == torch.float32 and torch.isfinite(t[k]).all(), k
assert meta and meta.get("model") == "lenet", f"metadata {meta}"
# Issue 14: every tensor's SHA-256 is in the metadata ("sha256:NAME", hex of its
# little-endian float32 bytes), and Python computes the same.
import hashlib
for k, v in t.items():
    got = hashlib.sha256(v.contiguous().numpy().astype("<f4").tobytes()).hexdigest()
    assert meta.get("sha256:" + k) == got, f"{k}: metadata sha256 {meta.get('sha256:' + k)}, python {got}"
print(f"safetensors: {len(t)} tensors, checksums verified by hashlib, metadata keys {sorted(k for k in meta if not k.startswith('sha256:'))}: ok")
PY
	src=$?
	# A flipped byte in the body: gabor eval refuses it (exit 3) naming the tensor.
	cp "$ck" "$work/flipped.safetensors"
	python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-1]^=1; open(p,"wb").write(b)' "$work/flipped.safetensors"
	"$gabor" eval --checkpoint "$work/flipped.safetensors" --device cuda --data "$data" >>"$logs/safetensors.log" 2>&1
	erc=$?
	echo "gabor eval of the flipped copy: exit $erc" >>"$logs/safetensors.log"
	if [ $src -eq 0 ] && { [ $erc -ne 3 ] || ! grep -q 'is corrupt' "$logs/safetensors.log"; }; then src=1; fi
	cat "$logs/safetensors.log"
	record "issues 3, 14: the cuda checkpoint opens with Python safetensors + torch, its checksums match, a flipped byte exits 3" $src "$logs/safetensors.log"
	if [ $quick = 0 ]; then
		"$gabor" train --model lenet --epochs 3 --device cpu --dataset fashion-mnist --data "$data" \
			--json --out "$work/lenet-cpu" >"$logs/train-cpu.log" 2>&1
		rc=$?
		cacc=$(final_acc "$logs/train-cpu.log")
		echo "cpu test accuracy: $cacc"
		if [ $rc -eq 0 ]; then
			python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) - 0.01 else 1)' "$acc" "$cacc" 2>/dev/null || rc=1
		fi
		record "2. cuda accuracy $acc vs cpu $cacc (within 0.01)" $rc "$logs/train-cpu.log"
	fi
fi

if want sanitize; then
	cs=$(sanitizer)
	if [ -z "$cs" ]; then
		results+=("FAIL  3. compute-sanitizer not found (PATH, /usr/local/cuda*/bin)")
		status=1
	else
		echo "== 3. $cs --tool memcheck: lenet, 20 steps + evaluation, graph on"
		rm -rf "$work/lenet-memcheck"
		"$cs" --tool memcheck --error-exitcode 99 --print-limit 20 \
			"$gabor" train --model lenet --epochs 1 --limit 2560 --test-limit 1000 --device cuda \
			--dataset fashion-mnist --data "$data" --json --out "$work/lenet-memcheck" >"$logs/memcheck-train.log" 2>&1
		rc=$?
		tail -n 3 "$logs/memcheck-train.log"
		record "3. memcheck: lenet training (graph)" $rc "$logs/memcheck-train.log"

		echo "== 3. memcheck: the loop tests (graph and launches)"
		(cd "$here/pkg/kernels_cuda" && "$cs" --tool memcheck --error-exitcode 99 --print-limit 20 \
			"$here/tests/kernels_cuda.test" -test.run 'CapturedStep') >"$logs/memcheck-loops.log" 2>&1
		rc=$?
		tail -n 3 "$logs/memcheck-loops.log"
		record "3. memcheck: training and evaluation loops" $rc "$logs/memcheck-loops.log"
	fi
fi

echo
echo "== summary (checks)"
printf '%s\n' "${results[@]}"
exit $status

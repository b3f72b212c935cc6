#!/usr/bin/env bash
# speed.sh — the speed measurements of the CUDA executor, in ONE device call
# on one machine (copied into gpu-bundle/ by scripts/gpu-bundle.sh):
#
#   0. the device's two ceilings, measured (torch): device-to-device copy
#      bandwidth and TF32 / FP32 matrix-product rates
#   1. gabor epoch times at batch 128, mlp/lenet/convnet, CUDA graph on and
#      off (train.test -bench GPUEpoch: Stepper epochs, data on the GPU)
#   2. the same through the CLI (gabor bench --devices cuda), graph on/off
#   3. PyTorch on the same recipe: anchors/pytorch_ref.py --device cuda,
#      eager, --cuda-graphs, --compile reduce-overhead (all with --tf32, as
#      gabor's GEMMs are TF32 by default; pytorch_ref.py's default is FP32)
#   4. convnet to ≥ 92% test accuracy, fast recipe (stated in the output):
#      onecycle schedule, peak lr 0.05, batch 128, 8 epochs
#   5. a table of the results (speed_table.py), for bench/RESULTS.md
#
#   ./speed.sh [--epochs N] [--torch-epochs N] [--skip-compile]
#
# gabor runs 1 warm-up + N measured epochs (default 5); PyTorch runs
# --torch-epochs (default 3; the first is left out of the median).
# Run it with a 600 s limit: the PyTorch compile runs are the long part
# (--skip-compile drops them). Logs and JSON in logs/speed/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$here/logs/speed
data=$here/data/fashion-mnist
epochs=5 tepochs=3 compile=1
while [ $# -gt 0 ]; do
	case $1 in
	--epochs) epochs=$2; shift ;;
	--torch-epochs) tepochs=$2; shift ;;
	--skip-compile) compile=0 ;;
	*) echo "speed.sh: unknown flag $1" >&2; exit 2 ;;
	esac
	shift
done
rm -rf "$logs"
mkdir -p "$logs"
"$here/unpack.sh" || { echo "unpack.sh failed" >&2; exit 1; }
export LD_BIND_NOW=1 PYTHONUNBUFFERED=1 GABOR_BENCH_DATA=$data
gabor=$here/bin/gabor
t0=$(date +%s)
stamp() { echo "[$(($(date +%s) - t0)) s] $*"; }

stamp "== device"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit --format=csv 2>&1 | tee "$logs/device.txt"
[ -f "$here/COMMIT" ] && echo "commit $(cat "$here/COMMIT")" | tee -a "$logs/device.txt"

stamp "== 0. ceilings (torch)"
python3 - <<'EOF' 2>&1 | tee "$logs/ceilings.txt"
import torch
if not torch.cuda.is_available():
    raise SystemExit("no torch.cuda")
def med(fn, reps=20):
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(3): fn()
    ts = []
    for _ in range(reps):
        s.record(); fn(); e.record(); torch.cuda.synchronize(); ts.append(s.elapsed_time(e) / 1e3)
    ts.sort(); return ts[len(ts) // 2]
n = 1 << 28  # 1 GiB of float32
a, b = torch.randn(n, device="cuda"), torch.empty(n, device="cuda")
t = med(lambda: b.copy_(a))
print(f"copy bandwidth (read + write): {2 * 4 * n / t / 1e12:.2f} TB/s")
del a, b
for tf32 in (True, False):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    m = 8192
    x, y = torch.randn(m, m, device="cuda"), torch.randn(m, m, device="cuda")
    t = med(lambda: x @ y, reps=10)
    print(f"{'TF32' if tf32 else 'FP32'} matmul {m}^3: {2 * m**3 / t / 1e12:.1f} TFLOP/s")
# the launch floor: an empty kernel's cost, eager and inside a graph
z = torch.zeros(1, device="cuda")
t = med(lambda: [z.add_(1) for _ in range(1000)], reps=5)
print(f"eager tiny-kernel launch: {t / 1000 * 1e6:.2f} us per kernel")
g = torch.cuda.CUDAGraph()
s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
with torch.cuda.stream(s):
    for _ in range(3): z.add_(1)
torch.cuda.current_stream().wait_stream(s)
with torch.cuda.graph(g):
    for _ in range(1000): z.add_(1)
t = med(g.replay, reps=10)
print(f"graph tiny-kernel node: {t / 1000 * 1e6:.2f} us per kernel")
EOF

stamp "== 1. gabor epochs, graph on/off (train.test -bench GPUEpoch, $epochs epochs each)"
(cd "$here/pkg/train" && "$here/tests/train.test" -test.run '^$' -test.bench 'GPUEpoch' \
	-test.benchtime "${epochs}x" -test.timeout 10m) 2>&1 | tee "$logs/gabor-bench-test.txt"

stamp "== 2. gabor bench --devices cuda (CLI), graph on and off"
for g in 1 0; do
	GABOR_CUDA_GRAPH=$g "$gabor" bench --models mlp,lenet,convnet --devices cuda --batch 128 \
		--epochs "$epochs" --warmup 1 --dataset fashion-mnist --data "$data" --json \
		>"$logs/gabor-bench-graph$g.json" 2>"$logs/gabor-bench-graph$g.err" ||
		{ echo "gabor bench (graph=$g) failed:"; tail -n 5 "$logs/gabor-bench-graph$g.err"; }
done

stamp "== 3. PyTorch $(python3 -c 'import torch; print(torch.__version__)' 2>&1)"
modes=("eager:" "cuda-graphs:--cuda-graphs")
[ $compile = 1 ] && modes+=("compile:--compile reduce-overhead")
for m in mlp lenet convnet; do
	for mode in "${modes[@]}"; do
		name=${mode%%:*} flags=${mode#*:}
		stamp "pytorch $m $name"
		# shellcheck disable=SC2086
		timeout 240 python3 "$here/anchors/pytorch_ref.py" --device cuda --tf32 --model "$m" --epochs "$tepochs" \
			--data-dir "$data" $flags --json-out "$logs/pytorch.jsonl" >"$logs/pytorch-$m-$name.log" 2>&1 ||
			{ echo "pytorch $m $name failed:"; tail -n 5 "$logs/pytorch-$m-$name.log"; }
		tail -n 2 "$logs/pytorch-$m-$name.log" | head -n 1
	done
done

stamp "== 4. convnet to 92%: onecycle, peak lr 0.05, batch 128, 8 epochs, graph on"
"$gabor" train --model convnet --epochs 8 --schedule onecycle --lr 0.05 --device cuda \
	--dataset fashion-mnist --data "$data" --eval-every 1 --json --out "$logs/convnet-fast" \
	>"$logs/convnet-fast.log" 2>&1 || { echo "convnet run failed:"; tail -n 5 "$logs/convnet-fast.log"; }

stamp "== 5. table"
python3 "$here/speed_table.py" "$logs" | tee "$logs/table.md"
stamp "done"

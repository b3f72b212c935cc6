#!/usr/bin/env python3
"""speed_table.py LOGDIR — the table of speed.sh's measurements (Markdown).

Reads, under LOGDIR (logs/speed of the GPU bundle):
  gabor-bench-test.txt   go benchmark lines of BenchmarkGPUEpoch (ms/epoch)
  pytorch.jsonl          pytorch_ref.py records (epoch_s per epoch)
  convnet-fast/metrics.jsonl  the fast convnet run (epoch_s, test_acc per epoch)
and prints one row per model: gabor with the CUDA graph on and off, PyTorch
eager, whole-step CUDA graph and torch.compile(reduce-overhead), and the
ratios the goals are stated in. Epoch times are medians; PyTorch's first
epoch (compilation, capture, cuDNN autotuning) is left out when there are
more.
"""
import json
import os
import re
import statistics
import sys


def gabor_epochs(path):
    out = {}
    if not os.path.exists(path):
        return out
    pat = re.compile(r"^BenchmarkGPUEpoch/model=(\w+)/graph=(on|off)\S*\s+\d+\s+.*?([\d.]+) ms/epoch")
    for line in open(path):
        m = pat.match(line)
        if m:
            out[(m.group(1), m.group(2))] = float(m.group(3))
    return out


def torch_epochs(path):
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        mode = "compile" if r.get("compile") else "cuda-graphs" if r.get("cuda_graphs") else "eager"
        ep = r.get("epoch_s") or []
        if len(ep) > 1:
            ep = ep[1:]
        if ep:
            out[(r["model"], mode)] = 1e3 * statistics.median(ep)
    return out


def fast_convnet(path):
    if not os.path.exists(path):
        return None
    total, first, last = 0.0, None, None
    for line in open(path):
        r = json.loads(line)
        total += r["epoch_s"]
        acc = r.get("test_acc")
        if acc is not None:
            last = (r["epoch"], acc, total)
            if first is None and acc >= 0.92:
                first = last
    return first, last


def fmt(v):
    return "—" if v is None else f"{v:.1f}"


def ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.1f}×"


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "logs/speed"
    g = gabor_epochs(os.path.join(d, "gabor-bench-test.txt"))
    t = torch_epochs(os.path.join(d, "pytorch.jsonl"))
    print("Epoch times at batch 128 (468 steps, 59,904 images), ms, median; TF32 on both sides.\n")
    print("| model | gabor graph | gabor no graph | torch eager | torch CUDA graph | torch compile (reduce-overhead) | eager / gabor | torch graph / gabor |")
    print("|---|---|---|---|---|---|---|---|")
    for m in ("mlp", "lenet", "convnet"):
        on, off = g.get((m, "on")), g.get((m, "off"))
        e, cg, co = t.get((m, "eager")), t.get((m, "cuda-graphs")), t.get((m, "compile"))
        print(f"| {m} | {fmt(on)} | {fmt(off)} | {fmt(e)} | {fmt(cg)} | {fmt(co)} | {ratio(e, on)} | {ratio(cg, on)} |")
    lenet = g.get(("lenet", "on"))
    e, cg = t.get(("lenet", "eager")), t.get(("lenet", "cuda-graphs"))
    print("\nGoals (H100): lenet epoch ≤ 40 ms: %s; ≥ 10× PyTorch eager: %s; ≥ 1.5× PyTorch's CUDA graph: %s" % (
        "—" if lenet is None else ("met" if lenet <= 40 else "missed") + f" ({lenet:.1f} ms)",
        "—" if None in (lenet, e) else ("met" if e / lenet >= 10 else "missed") + f" ({e / lenet:.1f}×)",
        "—" if None in (lenet, cg) else ("met" if cg / lenet >= 1.5 else "missed") + f" ({cg / lenet:.1f}×)"))
    fc = fast_convnet(os.path.join(d, "convnet-fast", "metrics.jsonl"))
    if fc:
        first, last = fc
        print("\nconvnet, onecycle lr 0.05, batch 128, 8 epochs: final test acc %.4f after %.2f s of training (epoch %d); " % (
            last[1], last[2], last[0]) + ("first ≥ 0.92 at epoch %d after %.2f s" % (first[0], first[2]) if first else "never ≥ 0.92"))


if __name__ == "__main__":
    main()

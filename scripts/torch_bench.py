#!/usr/bin/env python3
"""PyTorch side of `gabor bench --compare pytorch`.

Trains the canonical workloads (mlp, lenet, convnet) with the recipe of DESIGN.md on
the very batches gabor trains on, times each epoch's training loop, and prints ONE line
of JSON on stdout (progress goes to stderr):

  {"impl": "pytorch", "torch": "...", "threads": 2, "blas": "...",
   "results": [{"model": "mlp", "device": "cpu", "batch": 128, "epoch_s": [...],
                "warmup_epoch_s": [...], "setup_s": [0.01], ...}],
   "errors": [{"device": "cuda", "error": "..."}]}

Recipe: inputs /255 then (x - 0.2860) / 0.3530; PyTorch's default initialization
(U(+-1/sqrt(fan_in)) for weights and biases); softmax cross-entropy averaged over the
batch; SGD with momentum 0.9, lr 0.05 (mlp, lenet) or 0.02 (convnet); the last partial
batch dropped. Epoch e (from 0) visits the images in the order of a Fisher-Yates
shuffle driven by splitmix64 from seed + e, the order gabor's data.Permutation gives.

Timing: the permutations are made and moved to the device before any clock starts; an
epoch's time covers the loop only (batch gather, forward, backward, update), between
two device synchronizations. The loss stays on the device until the clock stops.

Runs with PyTorch 1.13 (Debian's python3-torch) and 2.x. Needs numpy (a dependency of
torch). `--perm N SEED` prints the first 16 indices of one permutation and exits
without importing torch (a check that both sides shuffle alike).
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np

MEAN, STD = 0.2860, 0.3530
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1, M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)

# Debian's libtorch calls the system libblas.so.3. The OpenMP build of OpenBLAS shares
# torch's libgomp thread pool; the pthread build (the default alternative) spins its own
# threads against torch's and is several times slower on few cores. Re-executing once
# with the OpenMP build first on the library path gives PyTorch its best BLAS here.
OPENMP_BLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
REEXEC_MARK = "GABOR_TORCH_BENCH_REEXEC"


def maybe_reexec():
    if os.environ.get(REEXEC_MARK) or not os.path.isdir(OPENMP_BLAS_DIR):
        return
    env = dict(os.environ)
    env[REEXEC_MARK] = "1"
    paths = [p for p in env.get("LD_LIBRARY_PATH", "").split(":") if p]
    if OPENMP_BLAS_DIR not in paths:
        env["LD_LIBRARY_PATH"] = ":".join([OPENMP_BLAS_DIR] + paths)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def loaded_blas():
    """The BLAS library mapped into this process, from /proc/self/maps."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line and "/" in line}
    except OSError:
        return "unknown"
    return ", ".join(sorted(libs)) or "none mapped (MKL or built-in)"


def permutation(n, seed):
    """Fisher-Yates over 0..n-1 driven by splitmix64 (see data.Permutation).

    The generator's outputs do not depend on the swaps, so they are computed at once
    in wrapping uint64 arithmetic; only the swaps run one by one.
    """
    p = np.arange(n, dtype=np.int64)
    if n < 2:
        return p
    k = np.arange(1, n, dtype=np.uint64)  # draw k for i = n-k
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + k * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * M1
        z = (z ^ (z >> np.uint64(27))) * M2
        z = z ^ (z >> np.uint64(31))
    i = np.arange(n - 1, 0, -1, dtype=np.uint64)
    j = (z % (i + np.uint64(1))).astype(np.int64).tolist()
    pl = p.tolist()
    for ii, jj in zip(range(n - 1, 0, -1), j):
        pl[ii], pl[jj] = pl[jj], pl[ii]
    return np.asarray(pl, dtype=np.int64)


def read_idx(path, dims):
    """An IDX file of unsigned bytes (gzip-compressed or not) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, kind, nd = struct.unpack(">HBB", raw[:4])
    if zero != 0 or kind != 0x08 or nd != dims:
        raise SystemExit(f"{path}: not a {dims}-dimensional unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd)
    if data.size != int(np.prod(shape)):
        raise SystemExit(f"{path}: {data.size} bytes of data, header says {shape}")
    return data.reshape(shape)


def find(dir_, base):
    for name in (base, base + ".gz"):
        path = os.path.join(dir_, name)
        if os.path.exists(path):
            return path
    raise SystemExit(f"{dir_}: no {base}[.gz]")


def build(torch, nn, model):
    if model == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))
    if model == "lenet":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if model == "convnet":
        return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    raise SystemExit(f"unknown model {model!r} (known: mlp, lenet, convnet)")


def reset_peak_rss():
    """Restart VmHWM from the current RSS (Linux >= 4.0), so each workload reports its own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def bench_one(torch, args, model, device, batch, x_all, y_all, perms):
    nn, F = torch.nn, torch.nn.functional
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    reset_peak_rss()
    t0 = time.perf_counter()
    torch.manual_seed(args.seed)
    net = build(torch, nn, model).to(device)
    lr = 0.02 if model == "convnet" else 0.05
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    sync()
    setup_s = time.perf_counter() - t0
    n = x_all.shape[0]
    steps = n // batch
    warm, meas = [], []
    loss = None
    for ep in range(args.warmup + args.epochs):
        perm = perms[ep]
        sync()
        t0 = time.perf_counter()
        for k in range(steps):
            idx = perm[k * batch:(k + 1) * batch]
            xb = x_all.index_select(0, idx)
            yb = y_all.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
        sync()
        dt = time.perf_counter() - t0
        (warm if ep < args.warmup else meas).append(dt)
        print(f"pytorch: {model} {device} batch {batch}: {'warm-up ' if ep < args.warmup else ''}"
              f"epoch {ep + 1}: {dt:.3f} s, {steps * batch / dt:.0f} images/s", file=sys.stderr, flush=True)
    name = torch.cuda.get_device_name(0) if device == "cuda" else f"{os.cpu_count()}-core CPU"
    return {"impl": "pytorch", "model": model, "device": device, "device_name": name, "batch": batch,
            "steps_per_epoch": steps, "images_per_epoch": steps * batch, "setup_s": [setup_s],
            "warmup_epoch_s": warm, "epoch_s": meas, "train_loss": float(loss),
            "peak_rss_bytes": peak_rss()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="mlp,lenet")
    ap.add_argument("--devices", default="cpu")
    ap.add_argument("--batches", default="128")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    ap.add_argument("--data-dir", help="folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]")
    ap.add_argument("--perm", nargs=2, type=int, metavar=("N", "SEED"), help="print a permutation's head and exit")
    args = ap.parse_args()

    if args.perm:
        print(json.dumps(permutation(args.perm[0], args.perm[1])[:16].tolist()))
        return
    if not args.data_dir:
        raise SystemExit("--data-dir is required")
    maybe_reexec()
    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = True
    images = read_idx(find(args.data_dir, "train-images-idx3-ubyte"), 3)
    labels = read_idx(find(args.data_dir, "train-labels-idx1-ubyte"), 1)
    if args.limit > 0:
        images, labels = images[:args.limit], labels[:args.limit]
    n = images.shape[0]
    out = {"impl": "pytorch", "torch": torch.__version__, "python": sys.version.split()[0],
           "threads": torch.get_num_threads(), "blas": loaded_blas(), "results": [], "errors": []}
    for device in args.devices.split(","):
        if device == "cuda" and not torch.cuda.is_available():
            out["errors"].append({"device": device, "error": "torch.cuda.is_available() is False"})
            continue
        if device not in ("cpu", "cuda"):
            out["errors"].append({"device": device, "error": "unknown device"})
            continue
        x = torch.from_numpy(images.astype(np.float32)).to(device)
        x = ((x / 255.0 - MEAN) / STD).reshape(n, 1, 28, 28)
        y = torch.from_numpy(labels.astype(np.int64)).to(device)
        perms = [torch.from_numpy(permutation(n, args.seed + e)).to(device)
                 for e in range(args.warmup + args.epochs)]
        for model in args.models.split(","):
            for batch in (int(b) for b in args.batches.split(",")):
                out["results"].append(bench_one(torch, args, model, device, batch, x, y, perms))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# setup-test.sh — install what `make test` needs, or say exactly how (make test runs it).
#
#   Fashion-MNIST   /usr/share/datasets/fashion-mnist   apt: dataset-fashion-mnist
#                   (the data, training and Gabor-fit tests read the real files)
#   numpy           /usr/bin/python3 -c 'import numpy'  apt: python3-numpy
#                   (bench's PyTorch-comparison tests and reference scripts)
#   CUDA headers    $CUDA_PREFIX/include/cuda.h         scripts/install-cuda.sh headers
#                   (make test vets and compiles the gpu tag; no GPU needed)
#   poppler-utils   /usr/bin/pdffonts, pdftotext        apt: poppler-utils
#                   (the figure tests check PDF text, fonts and Info with them)
#   Slurm, munge    /usr/bin/sbatch, /usr/sbin/slurmctld  apt: slurm-wlm munge
#                   (the sweep tests start a one-node cluster: scripts/slurm-local.sh)
#   Chromium        /usr/bin/chromium                   apt: chromium
#                   (report's browser tests drive it headless with chromedp)
#   qemu (arm64)    /usr/bin/qemu-aarch64-static        apt: qemu-user-static
#                   (cross-vet runs the arm64 CPU kernel tests, NEON path
#                   included, under user-mode emulation)
#
# Idempotent and quick when everything is there (a few file tests and one
# python3 start). Otherwise, as root with apt-get, it installs what is missing
# without asking (no stdin needed: CI runs it as root with CI=true); as any
# other user it stops at once and prints the exact command to run.
#
# Testing the script itself without removing packages:
#   SETUP_ROOT=DIR      look for the files under DIR instead of / (an empty DIR
#                       is a fresh machine) and never install: print the plan
#   SETUP_DRY_RUN=1     print what would be installed and stop (exit 1 if
#                       anything is missing), install nothing
# e.g.  SETUP_ROOT=$(mktemp -d) scripts/setup-test.sh   # lists them all, exit 1
set -euo pipefail
cd "$(dirname "$0")/.."

root=${SETUP_ROOT:-}
dry=${SETUP_DRY_RUN:-}
[ -n "$root" ] && dry=1
cuda_prefix=${CUDA_PREFIX:-/opt/cuda}
fashion=$root/usr/share/datasets/fashion-mnist
# Debian's python3, the one python3-numpy installs into and the tests try first
# (another python3 may come first on PATH).
python=${PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=python3

log() { printf 'setup-test: %s\n' "$*" >&2; }

have_fashion() {
	local f
	for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
		[ -s "$fashion/$f.gz" ] || [ -s "$fashion/$f" ] || return 1
	done
}
have_numpy() {
	if [ -n "$root" ]; then
		[ -f "$root/usr/lib/python3/dist-packages/numpy/__init__.py" ]
	else
		"$python" -c 'import numpy' >/dev/null 2>&1
	fi
}
have_cuda() { [ -f "$root$cuda_prefix/include/cuda.h" ]; }
have_poppler() { [ -x "$root/usr/bin/pdffonts" ] && [ -x "$root/usr/bin/pdftotext" ] && [ -x "$root/usr/bin/pdfinfo" ]; }
have_chromium() { [ -x "$root/usr/bin/chromium" ]; }
have_qemu() { [ -x "$root/usr/bin/qemu-aarch64-static" ]; }
have_slurm() {
	local b
	for b in usr/bin/sbatch usr/bin/squeue usr/bin/scancel usr/sbin/slurmctld usr/sbin/slurmd usr/sbin/munged; do
		[ -x "$root/$b" ] || return 1
	done
}

apt_pkgs=()
have_fashion || apt_pkgs+=(dataset-fashion-mnist)
have_numpy || apt_pkgs+=(python3-numpy)
have_poppler || apt_pkgs+=(poppler-utils)
have_slurm || apt_pkgs+=(slurm-wlm munge)
have_chromium || apt_pkgs+=(chromium)
have_qemu || apt_pkgs+=(qemu-user-static)
need_cuda=0
have_cuda || need_cuda=1

if [ ${#apt_pkgs[@]} -eq 0 ] && [ $need_cuda = 0 ]; then
	log "all present (fashion-mnist, numpy, poppler-utils, slurm-wlm, munge, chromium, qemu-user-static, CUDA headers in $cuda_prefix)"
	exit 0
fi

# The commands that would make the machine ready, exactly as to be typed.
cmds=()
[ ${#apt_pkgs[@]} -gt 0 ] && cmds+=("apt-get update && apt-get install -y --no-install-recommends ${apt_pkgs[*]}")
[ $need_cuda = 1 ] && cmds+=("CUDA_PREFIX=$cuda_prefix scripts/install-cuda.sh headers")

if [ -n "$dry" ]; then
	log "missing:${apt_pkgs[*]:+ ${apt_pkgs[*]}}$([ $need_cuda = 1 ] && echo " cuda-headers")"
	for c in "${cmds[@]}"; do log "would run: $c"; done
	exit 1
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	log "missing:${apt_pkgs[*]:+ ${apt_pkgs[*]}}$([ $need_cuda = 1 ] && echo " cuda-headers (in $cuda_prefix)")"
	log "make test needs them; run as root (Debian 12) and then make test again:"
	for c in "${cmds[@]}"; do
		case $c in
		apt-get*) printf '    sudo sh -c %q\n' "$c" >&2 ;;
		*) printf '    sudo %s\n' "$c" >&2 ;;
		esac
	done
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ ${#apt_pkgs[@]} -gt 0 ]; then
	log "apt-get install ${apt_pkgs[*]}"
	apt-get update -qq </dev/null
	apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" </dev/null
fi
if [ $need_cuda = 1 ]; then
	log "CUDA headers: scripts/install-cuda.sh headers"
	CUDA_PREFIX=$cuda_prefix bash scripts/install-cuda.sh headers </dev/null
fi
have_fashion && have_numpy && have_poppler && have_slurm && have_chromium && have_qemu && have_cuda || { log "still missing something after installing (see above)"; exit 1; }
log "installed; all present"

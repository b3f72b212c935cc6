#!/usr/bin/env bash
# install-cuda.sh — the CUDA pieces gabor's `gpu` build needs, on Debian 12 (bookworm).
#
#   scripts/install-cuda.sh headers   cuda.h and the libcuda link stub in /opt/cuda
#                                     (enough to vet, build and `go test -c` the gpu tag)
#   scripts/install-cuda.sh toolkit   headers + Debian's CUDA 11.8 toolkit (nvcc, ptxas,
#                                     g++-11) for regenerating the kernels with `make kernels`
#
# Idempotent: a step whose result is already present is skipped. Run as root.
#
# Debian ships CUDA 11.8 in bookworm's non-free component, which is off by default; the
# script enables contrib and non-free in whichever apt source format the machine uses
# (one-line /etc/apt/sources.list or deb822 /etc/apt/sources.list.d/debian.sources).
#
# The headers route avoids installing the 5 GB toolkit: it downloads the one .deb that
# holds cuda.h and stubs/libcuda.so (nvidia-cuda-dev) and extracts those two files.
# gorgonia.org/cu's cgo flags search /opt/cuda/include and /opt/cuda/lib64, so nothing
# else has to be configured. cuda.h includes only libc headers (stdlib.h, stdint.h).
set -euo pipefail

mode=${1:-headers}
prefix=${CUDA_PREFIX:-/opt/cuda}
tmp=

log() { printf 'install-cuda: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

case $mode in
headers | toolkit) ;;
*) die "unknown mode '$mode' (want headers or toolkit)" ;;
esac
[ "$(id -u)" = 0 ] || die "run as root (apt-get and $prefix need it)"
grep -q 'bookworm' /etc/os-release 2>/dev/null || log "warning: not Debian 12 (bookworm); package names may differ"

# enable_nonfree adds contrib and non-free to every Debian source that lacks them,
# and runs apt-get update when a source changed or the CUDA packages are unknown.
enable_nonfree() {
	local changed=0 f
	f=/etc/apt/sources.list.d/debian.sources
	if [ -f "$f" ] && grep -q '^Components:' "$f" && grep '^Components:' "$f" | grep -qv 'non-free\( \|$\)'; then
		# deb822: one Components: line per stanza.
		sed -i -E -e '/^Components:/{/ contrib( |$)/!s/$/ contrib/}' -e '/^Components:/{/ non-free( |$)/!s/$/ non-free/}' "$f"
		changed=1
	fi
	f=/etc/apt/sources.list
	if [ -f "$f" ] && grep -Eq '^deb(-src)? .*debian.* main' "$f" && grep -E '^deb(-src)? .*debian.* main' "$f" | grep -Evq 'non-free( |$)'; then
		# one-line format: "deb URI suite main [...]".
		sed -i -E -e '/^deb(-src)? .*debian.* main/{/ contrib( |$)/!s/$/ contrib/}' \
			-e '/^deb(-src)? .*debian.* main/{/ non-free( |$)/!s/$/ non-free/}' "$f"
		changed=1
	fi
	if [ $changed = 1 ] || ! apt-cache show nvidia-cuda-dev >/dev/null 2>&1; then
		[ $changed = 1 ] && log "enabled contrib non-free in the apt sources"
		apt-get update -qq
	fi
	apt-cache show nvidia-cuda-dev >/dev/null 2>&1 ||
		die "nvidia-cuda-dev is not in any apt source even with non-free enabled; is this bookworm?"
}

install_headers() {
	if [ -f "$prefix/include/cuda.h" ] && [ -f "$prefix/lib64/libcuda.so" ]; then
		log "headers already in $prefix"
		return
	fi
	enable_nonfree
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	chown _apt "$tmp" 2>/dev/null || true # apt downloads as _apt when it may write there
	log "downloading nvidia-cuda-dev (~770 MB, only cuda.h and the libcuda stub are kept)"
	(cd "$tmp" && apt-get download -qq nvidia-cuda-dev)
	local deb
	deb=$(ls "$tmp"/nvidia-cuda-dev_*.deb)
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$tmp" ./usr/include/cuda.h ./usr/lib/x86_64-linux-gnu/stubs/libcuda.so
	install -D -m 644 "$tmp/usr/include/cuda.h" "$prefix/include/cuda.h"
	install -D -m 644 "$tmp/usr/lib/x86_64-linux-gnu/stubs/libcuda.so" "$prefix/lib64/libcuda.so"
	rm -rf "$tmp"
	log "installed $prefix/include/cuda.h and $prefix/lib64/libcuda.so (stub)"
}

install_toolkit() {
	if command -v nvcc >/dev/null && nvcc --version | grep -q 'release 11.8' && command -v g++-11 >/dev/null; then
		log "toolkit already installed: $(nvcc --version | tail -1)"
		return
	fi
	enable_nonfree
	log "installing nvidia-cuda-toolkit (nvcc 11.8, g++-11; ~1.5 GB download)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		nvidia-cuda-toolkit nvidia-cuda-dev g++-11 >/dev/null
	nvcc --version | tail -1
}

install_headers
if [ "$mode" = toolkit ]; then
	install_toolkit
fi

#!/usr/bin/env bash
# cross-vet.sh — compile-check the CPU build for the other platforms people
# use (make test runs this): for each target, go vet, go build and `go test -c`
# of every package, cross-compiled with cgo off. linux/amd64 with the purego
# tag is the pure-Go path of an x86 machine (no assembly), which the tests
# also run in-process as GABOR_CPU=generic. The linux/arm64 CPU kernel tests
# (the conformance suite on the neon and generic paths, -short) then run
# under qemu-aarch64-static, which scripts/setup-test.sh installs; the other
# targets' binaries are not run.
#
#   scripts/cross-vet.sh                      all targets
#   CROSS_TARGETS="linux/arm64" scripts/cross-vet.sh
set -euo pipefail
cd "$(dirname "$0")/.."

targets=${CROSS_TARGETS:-"linux/arm64 darwin/arm64 windows/amd64 linux/amd64/purego"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in $targets; do
	IFS=/ read -r goos goarch tags <<<"$t"
	tagflag=()
	[ -n "${tags:-}" ] && tagflag=(-tags "$tags")
	echo "cross-vet: $t: go vet, go build, go test -c"
	export GOOS="$goos" GOARCH="$goarch" CGO_ENABLED=0
	go vet "${tagflag[@]}" ./...
	go build "${tagflag[@]}" ./...
	mkdir -p "$tmp/$goos-$goarch"
	go test -c "${tagflag[@]}" -o "$tmp/$goos-$goarch/" ./...
	unset GOOS GOARCH CGO_ENABLED
done
if [ -f "$tmp/linux-arm64/cpu.test" ]; then
	qemu=${QEMU_AARCH64:-qemu-aarch64-static}
	command -v "$qemu" >/dev/null || { echo "cross-vet: $qemu not found (scripts/setup-test.sh installs qemu-user-static)" >&2; exit 1; }
	echo "cross-vet: linux/arm64: kernels/cpu tests under $qemu (-short)"
	(cd kernels/cpu && "$qemu" "$tmp/linux-arm64/cpu.test" -test.short -test.timeout 20m)
fi
echo "cross-vet: ok ($targets)"

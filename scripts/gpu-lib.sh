# gpu-lib.sh — shared by the gpu-*.sh scripts (sourced, not run).

# gpu_test_pkgs prints, one per line, the packages (./dir form) that have
# test files built only with the gpu tag (a `!gpu` constraint does not count:
# those are the CPU build's tests).
gpu_test_pkgs() {
	grep -rlE --include='*_test.go' '^//go:build (.*[^!])?\bgpu\b' . 2>/dev/null |
		grep -vE '^\./(gpu-bundle|bin|runs)/' |
		xargs -r -n1 dirname | sort -u
}

# pkg_name turns ./kernels/cuda into kernels_cuda.
pkg_name() {
	local p=${1#./}
	echo "${p//\//_}"
}

# need_cuda_headers fails with advice when cuda.h is not where cgo looks.
need_cuda_headers() {
	local d
	for d in /opt/cuda/include /usr/local/cuda/include /usr/include; do
		[ -f "$d/cuda.h" ] && return 0
	done
	echo "cuda.h not found; run scripts/install-cuda.sh headers" >&2
	return 1
}

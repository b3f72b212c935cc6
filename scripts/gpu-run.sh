#!/usr/bin/env bash
# run.sh — run gabor's GPU test binaries (made by scripts/gpu-bundle.sh) on
# a machine with an NVIDIA GPU and print a PASS/FAIL summary. Exit status 0
# only if everything passed.
#
#   ./run.sh                       every test, verbose, logs in ./logs
#   ./run.sh --short               go test -short (smaller cases, same checks)
#   ./run.sh --run REGEX           only the tests matching REGEX
#   ./run.sh --sanitize            also run each binary under compute-sanitizer
#                                  memcheck and racecheck (when installed), -short
#   ./run.sh --bench REGEX         run the benchmarks matching REGEX instead of tests
#   ./run.sh --logs DIR            write logs to DIR
#
# LD_BIND_NOW=1 resolves every libcuda symbol at load, so a driver that lacks
# one fails at once instead of in the middle of a run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$here/logs
short=() run=() bench="" sanitize=0
while [ $# -gt 0 ]; do
	case $1 in
	--short) short=(-test.short) ;;
	--run) run=(-test.run "$2"); shift ;;
	--bench) bench=$2; shift ;;
	--sanitize) sanitize=1 ;;
	--logs) logs=$2; shift ;;
	*) echo "run.sh: unknown flag $1" >&2; exit 2 ;;
	esac
	shift
done
mkdir -p "$logs"
export LD_BIND_NOW=1
"$here/unpack.sh" || { echo "unpack.sh failed" >&2; exit 1; }

echo "== device"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "(nvidia-smi failed)"
[ -f "$here/COMMIT" ] && echo "== commit $(cat "$here/COMMIT")"

results=()
status=0
record() { # name rc log
	if [ "$2" -eq 0 ]; then
		results+=("PASS  $1")
	else
		results+=("FAIL  $1 (exit $2, log $3)")
		status=1
		echo "---- tail of $3"
		tail -n 40 "$3"
	fi
}

if [ -x "$here/bin/gabor" ]; then
	echo "== bin/gabor loads"
	"$here/bin/gabor" --help >"$logs/gabor-help.log" 2>&1
	record "bin/gabor --help" $? "$logs/gabor-help.log"
fi

for t in "$here"/tests/*.test; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .test)
	dir=$here/pkg/$name
	mkdir -p "$dir"
	if [ -n "$bench" ]; then
		echo "== $name benchmarks $bench"
		(cd "$dir" && "$t" -test.run '^$' -test.bench "$bench" -test.benchmem=false) 2>&1 | tee "$logs/$name.bench.log"
		record "$name bench" "${PIPESTATUS[0]}" "$logs/$name.bench.log"
		continue
	fi
	# The train package's other tests need files and tools the GPU machine
	# lacks (Fashion-MNIST in the standard places, Python's safetensors) and
	# are run by CI anyway: there, only its GPU tests run unless --run says.
	prun=(${run[@]+"${run[@]}"})
	if [ ${#prun[@]} -eq 0 ] && [ "$name" = train ]; then
		prun=(-test.run '^TestGPU')
	fi
	echo "== $name"
	start=$(date +%s)
	(cd "$dir" && "$t" -test.v ${short[@]+"${short[@]}"} ${prun[@]+"${prun[@]}"}) >"$logs/$name.log" 2>&1
	rc=$?
	grep -E '^(--- FAIL|FAIL|ok|PASS)' "$logs/$name.log" | tail -n 20
	record "$name ($(($(date +%s) - start)) s)" $rc "$logs/$name.log"
	if [ $sanitize = 1 ]; then
		if ! command -v compute-sanitizer >/dev/null; then
			results+=("SKIP  $name sanitizer (compute-sanitizer not installed)")
			continue
		fi
		for tool in memcheck racecheck; do
			echo "== $name under compute-sanitizer --tool $tool"
			(cd "$dir" && compute-sanitizer --tool "$tool" --error-exitcode 99 --print-limit 20 \
				"$t" -test.short ${prun[@]+"${prun[@]}"}) >"$logs/$name.$tool.log" 2>&1
			rc=$?
			tail -n 3 "$logs/$name.$tool.log"
			record "$name $tool" $rc "$logs/$name.$tool.log"
		done
	fi
done

echo
echo "== summary"
printf '%s\n' "${results[@]}"
exit $status

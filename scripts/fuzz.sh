#!/usr/bin/env bash
# Run every fuzz target of gabor for FUZZTIME each (default 10s), one after the
# other (go test -fuzz takes one target of one package at a time).
#
#   scripts/fuzz.sh                  # what `make test` runs: 10 s per target
#   FUZZTIME=5m scripts/fuzz.sh      # what `make fuzz FUZZTIME=5m` runs
#   FUZZ_SAVE=1 scripts/fuzz.sh      # also keep the corpus found (make fuzz does)
#
# With FUZZ_SAVE=1 the inputs the fuzzer found interesting (kept by Go in its
# cache) are copied into <package>/testdata/fuzz/<Target>/, where every plain
# `go test` replays them and git keeps them. A failing input is written there
# by Go itself, and the script stops with its exit status.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
# Go minimizes every new interesting input for up to 60 s by default, off the
# clock of -fuzztime and its exec count: with the few-hundred-byte inputs of
# the file formats that minimizing took almost all the time (FuzzReadWeights
# made 12 execs in 15 s). 100 tries keep the corpus small enough; a failing
# input is still written, minimized as far as 100 tries go.
FUZZMINIMIZE=${FUZZMINIMIZE:-100x}

# package  target — every parser of gabor's inputs (and the graph compiler);
# the check below fails when a Fuzz function is added without a line here.
targets=(
	"./data FuzzDecodeIDX"
	"./data FuzzDecodeNPY"
	"./data FuzzDecodeCSV"
	"./data FuzzParseNormalize"
	"./figure FuzzReadPNGText"
	"./figure FuzzReadSVGMetadata"
	"./graph FuzzCompile"
	"./graph FuzzUnmarshalModel"
	"./models FuzzDecodeANCHORW1"
	"./train/safetensors FuzzDecode"
	"./train FuzzDecodeConfig"
	"./train FuzzDecodeMetrics"
	"./train FuzzParseSnapshotSpec"
	"./runs FuzzReadWeights"
	"./runs FuzzParseSteps"
	"./cmd/gabor FuzzParseRanges"
	"./cmd/gabor FuzzParseFormats"
	"./data FuzzDecodePointsCSV"
	"./cmd/gabor FuzzParseRegionsFlags"
	"./cmd/gabor FuzzParseWidths"
	"./geometry FuzzParseShapes"
	"./geometry FuzzParseNet"
	"./sweep FuzzParseSpec"
	"./cmd/gabor FuzzParseFractions"
	"./cmd/gabor FuzzParseAlpha"
	"./report FuzzServerRequest"
)

# Every Fuzz function in the tree must be in the list above.
listed=$(printf '%s\n' "${targets[@]}" | sed 's|^\./||' | sort)
found=$(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . |
	sed -E 's|^\./(.*)/[^/]*_test\.go:func (Fuzz.*)$|\1 \2|' | sort)
if [ "$listed" != "$found" ]; then
	echo "fuzz.sh: the target list differs from the Fuzz functions in the tree:" >&2
	diff <(echo "$listed") <(echo "$found") >&2 || true
	exit 1
fi

# deadline_flake says whether a failed run's output is only the coordinator's
# deadline race: "context deadline exceeded" with no failing input, panic or
# test error reported.
deadline_flake() {
	grep -q 'context deadline exceeded' <<<"$1" &&
		! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' <<<"$1"
}

cache=$($GO env GOCACHE)/fuzz
total_start=$(date +%s)
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	start=$(date +%s)
	fuzz_once() { $GO test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZE" 2>&1; }
	if ! out=$(fuzz_once); then
		# Go's fuzzing coordinator can fail a target with a bare "context
		# deadline exceeded" when -fuzztime runs out while a worker is busy
		# (a shutdown race on a loaded machine, golang/go#75804): nothing
		# was found and no input was written. Such a run is repeated once;
		# a real finding names the input it wrote and fails at once.
		if deadline_flake "$out"; then
			echo "fuzz: $pkg $name: the fuzzer's deadline race (no input written), running it again" >&2
			out=$(fuzz_once) || {
				echo "$out"
				echo "fuzz: $pkg $name FAILED twice" >&2
				exit 1
			}
		else
			echo "$out"
			echo "fuzz: $pkg $name FAILED (the input is in $pkg/testdata/fuzz/$name)" >&2
			exit 1
		fi
	fi
	# The last progress line: "fuzz: elapsed: 10s, execs: 27605 (2712/sec), new interesting: 37 (total: 40)"
	# (None when replaying a large cached corpus took the whole FUZZTIME.)
	stats=$(grep -o 'execs: [0-9]* ([0-9]*/sec), new interesting: [0-9]* (total: [0-9]*)' <<<"$out" | tail -1 || true)
	printf 'fuzz: %-20s %-24s %s, %ss\n' "$pkg" "$name" "${stats:-only the baseline corpus replayed}" "$(($(date +%s) - start))"
	if [ "${FUZZ_SAVE:-}" = 1 ]; then
		ipath=$($GO list "$pkg")
		src="$cache/$ipath/$name"
		if [ -d "$src" ]; then
			mkdir -p "$pkg/testdata/fuzz/$name"
			cp -n "$src"/* "$pkg/testdata/fuzz/$name/" 2>/dev/null || true
		fi
	fi
done
echo "fuzz: ${#targets[@]} targets, ${FUZZTIME} each, $(($(date +%s) - total_start))s in all"

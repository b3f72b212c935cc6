#!/usr/bin/env bash
# serve-cost.sh — what `gabor train --serve` costs the training loop: N
# alternating CPU lenet runs with and without the live page (a client
# reading the event stream throughout), printing each epoch's training time,
# the process's CPU time (user+sys: what the page's drawing adds, whatever
# else the machine runs) and the medians (bench/RESULTS.md has the numbers).
#
#   scripts/serve-cost.sh [N] [EPOCHS]      (default 5 runs each, 2 epochs)
#
# Needs bin/gabor (make build) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
epochs=${2:-2}
gabor=${GABOR:-bin/gabor}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# epoch_times FILE: the epoch_s of each epoch event of a --json run.
epoch_times() { grep '"event":"epoch"' "$1" | sed 's/.*"epoch_s":\([0-9.e+-]*\).*/\1/' | tr '\n' ' '; }

cpu_time() { awk '{print $1 + $2}' "$1"; }

run_plain() {
	/usr/bin/time -f '%U %S' -o "$tmp/plain-$1.cpu" "$gabor" train --model lenet --device cpu --epochs "$epochs" --json --out "$tmp/plain-$1" >"$tmp/plain-$1.json" 2>/dev/null
	echo "$(epoch_times "$tmp/plain-$1.json")cpu $(cpu_time "$tmp/plain-$1.cpu")"
}

run_served() {
	local out=$tmp/served-$1 pid url curlpid
	/usr/bin/time -f '%U %S' -o "$out.cpu" "$gabor" train --model lenet --device cpu --epochs "$epochs" --json --out "$out" --serve >"$out.json" 2>"$out.err" &
	pid=$!
	until url=$(grep -so 'http://127.0.0.1:[0-9]*/' "$out.err" | head -1) && [ -n "$url" ]; do sleep 0.1; done
	curl -sN "${url}events" >/dev/null &
	curlpid=$!
	until grep -q '"event":"done"' "$out.json" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { echo "serve-cost: the served run failed:" >&2; cat "$out.err" >&2; exit 1; }
		sleep 0.2
	done
	sleep 2 # the page draws the last snapshot and checkpoint
	kill -INT "$(pgrep -P "$pid")"
	wait "$pid" || true
	kill "$curlpid" 2>/dev/null || true
	wait "$curlpid" 2>/dev/null || true
	echo "$(epoch_times "$out.json")cpu $(cpu_time "$out.cpu")"
}

plain=() served=() pcpu=() scpu=()
for i in $(seq "$n"); do
	p=$(run_plain "$i")
	s=$(run_served "$i")
	printf 'run %d  plain: %s s  served: %s s\n' "$i" "$p" "$s"
	plain+=(${p% cpu *}) served+=(${s% cpu *}) pcpu+=(${p##* }) scpu+=(${s##* })
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
mp=$(median "${plain[@]}")
ms=$(median "${served[@]}")
printf 'median epoch: plain %.3f s, served %.3f s, served/plain %.3f (%d epochs × %d runs each, load %s)\n' \
	"$mp" "$ms" "$(echo "$ms / $mp" | bc -l)" "$epochs" "$n" "$(cut -d' ' -f1-3 /proc/loadavg)"
mpc=$(median "${pcpu[@]}")
msc=$(median "${scpu[@]}")
printf 'median CPU time of a run: plain %.2f s, served %.2f s, served/plain %.3f\n' "$mpc" "$msc" "$(echo "$msc / $mpc" | bc -l)"

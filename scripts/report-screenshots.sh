#!/usr/bin/env bash
# report-screenshots.sh — the screenshots of docs/report.md: two short lenet
# runs, their report (docs/img/report-overview.png, report-filters.png) and
# the live page of a third run while it trains (docs/img/report-live.png),
# taken with headless chromium (scripts/setup-test.sh installs it) driven by
# scripts/screenshot.
#
#   scripts/report-screenshots.sh [OUT_DIR]     (default docs/img)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/img}
gabor=${GABOR:-bin/gabor}
chromium=${CHROMIUM:-chromium}
[ -x "$gabor" ] || make build
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/screenshot" ./scripts/screenshot
shot() { # shot URL FILE WIDTH HEIGHT [ELEMENT_ID]: a screenshot after the page's scripts ran
	"$tmp/screenshot" -chromium "$chromium" -url "$1" -out "$2" -width "$3" -height "$4" ${5:+-scroll "$5"}
}
common=(--model lenet --conv1 7 --limit 12800 --test-limit 2000 --device cpu --snapshot every=25steps)
"$gabor" train "${common[@]}" --epochs 3 --seed 1 --out "$tmp/lenet-seed1" >/dev/null 2>&1
"$gabor" train "${common[@]}" --epochs 3 --seed 2 --lr 0.02 --out "$tmp/lenet-seed2-lr0.02" >/dev/null 2>&1
"$gabor" report "$tmp/lenet-seed1" "$tmp/lenet-seed2-lr0.02" --out "$tmp/report" >/dev/null
mkdir -p "$out"
shot "file://$tmp/report/report.html" "$out/report-overview.png" 1400 1600
shot "file://$tmp/report/report.html" "$out/report-filters.png" 1400 1300 filters

# The live page, half-way through a run's second epoch.
"$gabor" train "${common[@]}" --epochs 4 --seed 3 --out "$tmp/lenet-live" --serve 2>"$tmp/live.err" >/dev/null &
pid=$!
until url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$tmp/live.err" | head -1) && [ -n "$url" ]; do sleep 0.2; done
until [ -f "$tmp/lenet-live/metrics.jsonl" ] && [ "$(wc -l <"$tmp/lenet-live/metrics.jsonl")" -ge 2 ]; do
	kill -0 "$pid" || { cat "$tmp/live.err" >&2; exit 1; }
	sleep 0.5
done
sleep 3
shot "$url" "$out/report-live.png" 1400 1100

#!/usr/bin/env bash
# Regenerates the figures of docs/regions.md: PNGs at 150 DPI into docs/img/
# (regions-*). Networks built from polygons, the depth example, and short
# trainings of mlp2d on the 2-D toy sets.
#
#   bash scripts/docs-regions.sh            # work in a temporary folder
#   WORK=/tmp/regions bash scripts/docs-regions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${WORK:-$(mktemp -d)}
IMG=$ROOT/docs/img
mkdir -p "$IMG" "$WORK"
go build -o "$WORK/gabor" ./cmd/gabor
G=$WORK/gabor
FIG=(--format png --dpi 150 --force)
F=$WORK/figs
log() { printf '== %s\n' "$*"; }

log "constructed step networks"
cat >"$WORK/two-triangles.json" <<'JSON'
{"polygons": [[[-1.8,-1],[-0.4,0],[-1.5,1]], [[0.3,-1.5],[1.8,-1.2],[1,1.5]]], "unions": [[0, 1]]}
JSON
cat >"$WORK/L.json" <<'JSON'
{"polygons": [[[-1.5,-1.5],[1.5,-1.5],[1.5,-0.5],[-1.5,-0.5]], [[-1.5,-0.5],[-0.5,-0.5],[-0.5,1.5],[-1.5,1.5]]], "unions": [[0, 1]]}
JSON
$G regions --construct "$WORK/two-triangles.json" "${FIG[@]}" --out "$F"
cp "$F/regions-two-triangles.png" "$IMG/regions-two-triangles.png"
$G regions --construct "$WORK/L.json" --unit 2:1 --unit 2:2 "${FIG[@]}" --out "$F"
cp "$F/regions-L.png" "$IMG/regions-L.png"

log "depth against width"
$G regions --depth-example "${FIG[@]}" --out "$F" | tee "$WORK/depth.txt"
cp "$F/regions-depth-2-10-3-8.png" "$IMG/regions-depth-2-10-3-8.png"
cp "$F/regions-depth-2-10-8.png" "$IMG/regions-depth-2-10-8.png"
log "wrote the regions-* figures in docs/img (work folder $WORK)"

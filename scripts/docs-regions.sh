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
log "mlp2d on the toy sets: 2-16-16-2 ReLU, Adam 0.01, batch 32, 60 epochs of 1000 points"
R=(--hidden 16,16 --act relu --optimizer adam --lr 0.01 --batch 32 --epochs 60 --device cpu)
for ds in moons circles spirals; do
	$G train --dataset $ds "${R[@]}" --snapshot every=3epochs --out "$WORK/$ds" >/dev/null
done
$G train --dataset xor --noise 0.05 "${R[@]}" --snapshot every=3epochs --out "$WORK/xor" >/dev/null
for ds in moons circles spirals xor; do
	$G regions "$WORK/$ds" --timelapse=$([ $ds = moons ] && echo true || echo false) "${FIG[@]}" --out "$F/$ds" | tee "$WORK/$ds.txt"
	cp "$F/$ds"/regions-$ds-step*.png "$IMG/regions-$ds.png"
done
cp "$F/moons/regions-moons-count.png" "$IMG/regions-moons-count.png"
cp "$F/moons/regions-moons-frames.gif" "$IMG/regions-moons-frames.gif"
log "a deeper unit of the moons net, and a step network on moons"
$G regions "$WORK/moons" --unit 2:1 --unit 2:2 --timelapse=false "${FIG[@]}" --out "$F/moons-units"
cp "$F/moons-units"/regions-moons-step*.png "$IMG/regions-moons-units.png"
$G train --dataset moons --hidden 16,16 --act step --optimizer adam --lr 0.01 --batch 32 --epochs 30 --device cpu --snapshot off --out "$WORK/moons-step" >/dev/null
$G regions "$WORK/moons-step" "${FIG[@]}" --out "$F/moons-step" | tee "$WORK/moons-step.txt"
cp "$F/moons-step"/regions-moons-step-step*.png "$IMG/regions-moons-step.png"
log "wrote the regions-* figures in docs/img (work folder $WORK)"

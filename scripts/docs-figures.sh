#!/usr/bin/env bash
# Regenerates every figure shown in docs/figures.md (and docs/filters.md,
# docs/deconv.md) from fresh short runs: PNGs at 150 DPI into docs/img/.
#
#   bash scripts/docs-figures.sh            # work in a temporary folder
#   WORK=/tmp/docs bash scripts/docs-figures.sh
#
# Uses Fashion-MNIST when it is installed (apt-get install
# dataset-fashion-mnist), else the built-in synthetic digits. About 5 minutes
# on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${WORK:-$(mktemp -d)}
IMG=$ROOT/docs/img
mkdir -p "$IMG" "$WORK"
go build -o "$WORK/gabor" ./cmd/gabor
G=$WORK/gabor
DS=(--dataset synthetic)
if [ -d /usr/share/datasets/fashion-mnist ]; then DS=(--dataset fashion-mnist); fi
FIG=(--format png --dpi 150 --force)
log() { printf '== %s\n' "$*"; }

log "train lenet (conv1 7×7), 3 epochs of 12,000 images, snapshots every 31 steps"
$G train --model lenet --conv1 7 "${DS[@]}" --limit 12000 --test-limit 2000 --epochs 3 \
	--snapshot every=31steps --device cpu --out "$WORK/lenet7" >/dev/null
log "train mlp-sigmoid and two seeds of mlp"
$G train --model mlp-sigmoid "${DS[@]}" --limit 12000 --test-limit 2000 --epochs 2 --device cpu --out "$WORK/mlp-sigmoid" >/dev/null
for s in 1 2 3; do
	$G train --model mlp "${DS[@]}" --limit 6000 --test-limit 2000 --epochs 3 --seed $s --device cpu --out "$WORK/mlp-seed$s" >/dev/null
done

F=$WORK/figs
log "filters, Gabor fit, time-lapse, score"
$G filters "$WORK/lenet7" --labels --colorbar --norm global "${FIG[@]}" --out "$F" >/dev/null
cp "$F"/filters-conv1-global-step*.png "$IMG/filters-lenet-conv1-7x7.png"
cp "$F"/gaborfit-conv1-global-step*.png "$IMG/gaborfit-lenet-conv1-7x7.png"
cp "$F"/timelapse-conv1-global.png "$IMG/timelapse-lenet-conv1-7x7.png"
cp "$F"/timelapse-conv1-global.gif "$IMG/timelapse-lenet-conv1-7x7.gif"
cp "$F"/gabor-score-conv1.png "$IMG/gabor-score-lenet-conv1-7x7.png"
log "activations"
$G activations "$WORK/lenet7" --index 0 "${FIG[@]}" --out "$F" >/dev/null
cp "$F"/activations-image0-step*.png "$IMG/activations-lenet.png"
log "embed"
$G embed "$WORK/lenet7" --layer all --n 1000 --frames 0 "${FIG[@]}" --out "$F" >/dev/null
cp "$F"/embed-fc2-step*.png "$IMG/embed-lenet-fc2.png"
cp "$F"/embed-overview-step*.png "$IMG/embed-lenet-overview.png"
log "deconv"
$G deconv "$WORK/lenet7" --layer conv2 --maps 0-7 --top 9 --limit 2000 "${FIG[@]}" --out "$F" >/dev/null
cp "$F"/deconv-conv2-deconvnet-maps0-7-top9-step*.png "$IMG/deconv-lenet-conv2-deconvnet.png"
log "query"
$G query "$WORK/mlp-sigmoid" --method inverse "${FIG[@]}" --out "$F" >/dev/null
cp "$F"/query-inverse-labelsall-step*.png "$IMG/query-inverse-mlp-sigmoid.png"
$G query "$WORK/lenet7" --method optimize --iters 100 "${FIG[@]}" --out "$F" >/dev/null
cp "$F"/query-optimize-labelsall-step*.png "$IMG/query-optimize.png"
log "curves"
$G curves "$WORK/lenet7" "${FIG[@]}" --out "$F" >/dev/null
cp "$F"/curves-lenet7-bystep.png "$IMG/curves-lenet.png"
$G curves "$WORK/mlp-seed1" "$WORK/mlp-seed2" "$WORK/mlp-seed3" "$WORK/mlp-sigmoid" --x epoch "${FIG[@]}" --out "$F" >/dev/null
cp "$F"/curves-mlp-seed1+mlp-seed2+mlp-seed3+mlp-sigmoid-byepoch.png "$IMG/curves-seeds.png"
log "eval --confusion"
$G eval --checkpoint "$WORK/lenet7" --confusion "${FIG[@]}" --out "$F" >/dev/null
cp "$F"/confusion-*-step*.png "$IMG/confusion-lenet.png"
log "wrote $(ls "$IMG" | wc -l) files in docs/img (work folder $WORK)"

#!/usr/bin/env bash
# Re-trains the three shipped weight files in Assets/models/ from scratch (`make models`).
#
# The recipes are the defaults of `fluid train` (FluidModel/Training/Schedules.swift and
# ModelTraining.swift), seed 1; each file's metadata records its full recipe, the data
# hashes, the test accuracy of every sub-network and the training time. Deterministic for a
# seed on a given machine (fixed shuffles, fixed reduction order across the two threads).
#
# Usage: scripts/train-models.sh [MNIST_DIR]   (default: what `fluid train` finds: ./data/mnist, $MNIST_DIR)
#        OUT_DIR=/tmp/models scripts/train-models.sh   writes elsewhere (e.g. to time or compare a run)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FLUID_BIN:-.build/release/fluid}
[ -x "$BIN" ] || { echo "train-models: $BIN not built (run: swift build -c release)" >&2; exit 1; }
DATA_ARGS=()
[ $# -ge 1 ] && DATA_ARGS=(--data "$1")
OUT=${OUT_DIR:-Assets/models}
mkdir -p "$OUT"
start=$(date +%s)
# Static first: Dynamic and Fluid distil from it (--teacher; the file's metadata records
# the teacher's SHA-256).
for kind in static dynamic fluid; do
    t0=$(date +%s)
    TEACHER=()
    [ "$kind" != static ] && TEACHER=(--teacher "$OUT/static.safetensors")
    "$BIN" train --kind "$kind" --seed 1 "${DATA_ARGS[@]}" "${TEACHER[@]}" --out "$OUT/$kind.safetensors"
    echo "train-models: $kind took $(( $(date +%s) - t0 )) s"
done
"$BIN" eval "${DATA_ARGS[@]}" --weights "$OUT/static.safetensors" "$OUT/dynamic.safetensors" "$OUT/fluid.safetensors"
echo "train-models: all three in $(( $(date +%s) - start )) s"

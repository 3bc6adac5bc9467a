#!/usr/bin/env bash
# bf16 against float32 on a GPU: the quick demo in fp32 (seeds 0 and 1) and in bf16 (seed 0),
# then whether each bf16 number stays within the fp32 seed-to-seed spread
# (benchmarks/compare_precision.py). One short command for a GPU machine (install the
# efficientnet wheels as in gpu_checks.sh first):
#
#   OUT=/some/dir QUICK_LIMIT=150 bash benchmarks/gpu_precision_check.sh
#
# QUICK_LIMIT (seconds, default 150) stops a demo run that takes longer; its comparison is
# then skipped with a message. On a CPU without bfloat16 instructions the bf16 run takes
# ~17x longer than fp32 (see neurodecode's precision docs); use a GPU or an AMX CPU.
set -o pipefail
OUT=${OUT:-$(mktemp -d)}
DEVICE=${DEVICE:-cuda}
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
for run in "fp32 0" "fp32 1" "bf16 0"; do
    set -- $run
    start=$(date +%s)
    timeout "${QUICK_LIMIT:-150}" python3 -m neurodecode.cli demo --quick --quiet \
        --device "$DEVICE" --precision "$1" --seed "$2" --out "$OUT/quick_$1_seed$2" 2>&1 | tail -3
    echo "quick demo, $1, seed $2: rc $?, $(( $(date +%s) - start )) s" | tee -a "$OUT/times.txt"
done
for f in quick_fp32_seed0 quick_fp32_seed1 quick_bf16_seed0; do
    if [ ! -f "$OUT/$f/results.json" ]; then
        echo "no $OUT/$f/results.json (the run failed or passed QUICK_LIMIT): no comparison"
        exit 1
    fi
done
python3 benchmarks/compare_precision.py "$OUT/quick_fp32_seed0/results.json" \
    "$OUT/quick_fp32_seed1/results.json" --bf16 "$OUT/quick_bf16_seed0/results.json" 2>&1 \
    | tee "$OUT/compare_precision.md"

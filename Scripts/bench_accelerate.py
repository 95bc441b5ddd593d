#!/usr/bin/env python3
"""Times accelerate's own placement on Qwen2-7B (meta device), for comparison with
`planner benchmark` on the same machine.

Measures, median of 51 runs after 3 warm-ups: `infer_auto_device_map` alone (sequential budgets),
and `get_balanced_memory` + `infer_auto_device_map` (device_map="balanced"/"auto"), on 8 GPUs
of 14 GiB and on 2 of 40 GiB, bf16. Setup: the venv of Scripts/README.md.

    .venv-ref/bin/python Scripts/bench_accelerate.py
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import accelerate  # noqa: E402
from accelerate.utils import get_balanced_memory, infer_auto_device_map  # noqa: E402

import accelerate_reference as ref  # noqa: E402


def median_ms(function, runs=51):
    for _ in range(3):
        function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples)


def main():
    model = ref.build("qwen2-7b")
    no_split = ["Qwen2DecoderLayer"]
    print(f"accelerate {accelerate.__version__}, torch {torch.__version__}, Qwen2-7B on the meta device, bf16")
    for label, budgets in [("8 GPUs x 14 GiB", {i: 14 * 2**30 for i in range(8)}),
                           ("2 GPUs x 40 GiB", {0: 40 * 2**30, 1: 40 * 2**30})]:
        sequential = median_ms(lambda: infer_auto_device_map(
            model, max_memory=dict(budgets), no_split_module_classes=no_split, dtype=torch.bfloat16))
        balanced = median_ms(lambda: infer_auto_device_map(
            model, max_memory=get_balanced_memory(model, max_memory=dict(budgets), no_split_module_classes=no_split,
                                                  dtype=torch.bfloat16),
            no_split_module_classes=no_split, dtype=torch.bfloat16))
        print(f"{label}: sequential median {sequential[0]:.2f} ms (min {sequential[1]:.2f}); "
              f"balanced median {balanced[0]:.2f} ms (min {balanced[1]:.2f})")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times accelerate's own placement on Qwen2-7B and on Qwen3-235B-A22B (meta device), for
comparison with `planner benchmark` on the same machine.

Measures, median of 51 runs after 3 warm-ups: `infer_auto_device_map` alone (sequential budgets),
and `get_balanced_memory` + `infer_auto_device_map` (device_map="balanced"/"auto"), on 8 GPUs
of 14 GiB and on 2 of 40 GiB, bf16; and the same for Qwen3-235B-A22B built by transformers from
fixtures/models/qwen3-235b-a22b/config.json (transformers 5 fuses each layer's experts into
`mlp.experts.gate_up_proj` and `down_proj`: 1,037 tensors) on 8 GPUs of 78.86 GiB (an A100-80G's
usable memory), median of 11 runs. Setup: the venv of Scripts/accelerate_reference_moe.py (transformers
5.24, accelerate 1.16, torch 2.13 CPU). Run from the repository root.

    /tmp/venv-tf/bin/python Scripts/bench_accelerate.py
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
        # As many CUDA devices as budgets (accelerate_reference.py's inert patch): without it accelerate
        # logs "Device N is not available" on every call, which would time the logging too.
        with ref.cuda_device_count(len(budgets)):
            sequential = median_ms(lambda: infer_auto_device_map(
                model, max_memory=dict(budgets), no_split_module_classes=no_split, dtype=torch.bfloat16))
            balanced = median_ms(lambda: infer_auto_device_map(
                model, max_memory=get_balanced_memory(model, max_memory=dict(budgets),
                                                      no_split_module_classes=no_split, dtype=torch.bfloat16),
                no_split_module_classes=no_split, dtype=torch.bfloat16))
        print(f"{label}: sequential median {sequential[0]:.2f} ms (min {sequential[1]:.2f}); "
              f"balanced median {balanced[0]:.2f} ms (min {balanced[1]:.2f})")


def qwen3_moe():
    import json
    from transformers import AutoConfig, AutoModelForCausalLM
    settings = json.load(open("fixtures/models/qwen3-235b-a22b/config.json"))
    config = AutoConfig.for_model(settings.pop("model_type"), **settings)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    no_split = ["Qwen3MoeDecoderLayer"]
    budgets = {i: int(78.86 * 2**30) for i in range(8)}
    tensors = sum(1 for _ in model.named_parameters())
    with ref.cuda_device_count(8):
        sequential = median_ms(lambda: infer_auto_device_map(
            model, max_memory=dict(budgets), no_split_module_classes=no_split, dtype=torch.bfloat16), runs=11)
        balanced = median_ms(lambda: infer_auto_device_map(
            model, max_memory=get_balanced_memory(model, max_memory=dict(budgets), no_split_module_classes=no_split,
                                                  dtype=torch.bfloat16),
            no_split_module_classes=no_split, dtype=torch.bfloat16), runs=11)
    print(f"Qwen3-235B-A22B ({tensors} tensors), 8 GPUs x 78.86 GiB: sequential median {sequential[0]:.2f} ms "
          f"(min {sequential[1]:.2f}); balanced median {balanced[0]:.2f} ms (min {balanced[1]:.2f})")


if __name__ == "__main__":
    main()
    qwen3_moe()

#!/usr/bin/env python3
"""Checks that the device maps `planner` emits are complete for the real module trees.

For each model that Scripts/accelerate_reference.py can build on the meta device (Qwen2-7B,
Llama-3-8B, Mistral-7B, the MiniCPM-V 2.6 replica), and for several GPU mixes and strategies, it
runs the built `planner --format device-map` and hands the map to accelerate's own
`check_device_map(model, device_map)`, which raises if any parameter or buffer of the
`state_dict` has no device. It also checks that every key names a real module or tensor
(transformers warns about keys that match nothing).

Setup: the venv of Scripts/README.md (torch CPU, transformers 4.57.6, accelerate 1.15.0), and a
built planner (`swift build`). Run from the repository root:

    .venv-ref/bin/python Scripts/check_device_maps.py [path/to/planner]

Prints one line per case and `N passed, N failed`; exits 1 if any failed.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import accelerate_reference as ref  # noqa: E402
from accelerate.utils import check_device_map  # noqa: E402

CASES = [
    ("qwen2-7b", ["--gpus", "2xT4"]),
    ("qwen2-7b", ["--gpus", "RTX3090,RTX4090", "--strategy", "balanced"]),
    ("qwen2-7b", ["--gpus", "T4", "--strategy", "sequential", "--dtype", "fp16",
                  "--max-memory", "0:10GiB,cpu:64GiB"]),
    ("llama-3-8b", ["--gpus", "A100-80G,H100"]),
    ("llama-3-8b", ["--gpus", "3xT4", "--strategy", "balanced_low_0"]),
    ("mistral-7b", ["--gpus", "2xP4"]),
    ("minicpm-v-2.6", ["--gpus", "2xP4"]),
    ("minicpm-v-2.6", ["--gpus", "1xT4,1xP4"]),
    ("minicpm-v-2.6", ["--gpus", "4xP4", "--strategy", "sequential"]),
    ("minicpm-v-2.6", ["--gpus", "2xT4", "--strategy", "balanced"]),
]


def main():
    planner = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/planner"
    passed = failed = 0
    models = {}
    for name, args in CASES:
        if name not in models:
            models[name] = ref.build(name)
        model = models[name]
        if isinstance(model, tuple):
            model = model[0]
        run = subprocess.run([planner, "--model", name, "--format", "device-map", *args],
                             capture_output=True, text=True)
        label = f"{name} {' '.join(args)}"
        try:
            device_map = json.loads(run.stdout)
            check_device_map(model, device_map)
            names = set(dict(model.named_modules())) | set(dict(model.named_parameters())) \
                | set(dict(model.named_buffers()))
            unknown = [key for key in device_map if key and key not in names]
            if unknown:
                raise ValueError(f"keys that match no module: {unknown[:5]}")
            passed += 1
            print(f"ok    {label} (exit {run.returncode}, {len(device_map)} keys)")
        except Exception as error:  # report every failure, keep going
            failed += 1
            print(f"FAIL  {label}: {error}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

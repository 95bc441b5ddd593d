#!/usr/bin/env python3
"""Reference device maps of mixture-of-experts models as transformers 5 builds them (fused experts), from
the REAL accelerate, for the Swift `planner` tests (`AccelerateMoETests`).

transformers 5 fuses each MoE layer's experts into one module (`mlp.experts`, class `Qwen3MoeExperts`,
`MixtralExperts`, ...) holding two 3-D parameters, `gate_up_proj [experts, 2 x width, hidden]` and
`down_proj [experts, hidden, width]`, where transformers 4 had a `ModuleList` of per-expert MLPs. This
script builds four small MoE models on the meta device with transformers 5, dumps their module trees and
`compute_module_sizes`, and runs accelerate's own `get_balanced_memory` and `infer_auto_device_map` (the
same `run_accelerate` as Scripts/accelerate_reference.py) for several `max_memory` settings and the three
strategies. It writes:

  fixtures/accelerate/moe/modules-<model>.json   config.json (as transformers writes it), module tree, sizes
  fixtures/accelerate/moe/device-maps.json       the device maps

Each case also records what transformers 5's own `from_pretrained(device_map=...)` would compute
(`transformers.integrations.accelerate._get_device_map`, its copy of accelerate's functions, on the model
built in bf16) as `transformersEffectiveMaxMemory` / `transformersDeviceMap`: its `get_balanced_memory`
takes the largest no-split module and the largest leaf module as the buffer where accelerate takes the
first no-split module and the mean "final module", so the two can differ; the planner ports accelerate's.

Setup (exact commands; Python 3.11; only PyPI is needed)
--------------------------------------------------------
    python3.11 -m venv /tmp/venv-tf
    /tmp/venv-tf/bin/pip install torch==2.13.0+cpu --index-url https://download.pytorch.org/whl/cpu
    /tmp/venv-tf/bin/pip install transformers==5.24.0 accelerate==1.16.0 psutil

Run (from the repository root)
------------------------------
    /tmp/venv-tf/bin/python Scripts/accelerate_reference_moe.py            # writes fixtures/accelerate/moe/
    /tmp/venv-tf/bin/python Scripts/accelerate_reference_moe.py --out DIR  # elsewhere

Deterministic (PYTHONHASHSEED=0, fixed lists, indent=1), as accelerate_reference.py; its monkeypatch of
`torch.cuda.device_count` (proved inert there, and again here) is reused.
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse
import logging
import warnings
from collections import OrderedDict

import torch
import transformers
from accelerate.utils import compute_module_sizes, find_tied_parameters
from transformers import (
    AutoModelForCausalLM,
    DeepseekV3Config,
    MixtralConfig,
    Qwen2MoeConfig,
    Qwen3MoeConfig,
)
from transformers.integrations.accelerate import _get_device_map

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accelerate_reference as ref  # noqa: E402

assert transformers.__version__.startswith("5."), transformers.__version__

GiB = 2**30

COMMON = dict(
    hidden_size=256,
    num_attention_heads=8,
    num_key_value_heads=2,
    vocab_size=4096,
    max_position_embeddings=4096,
    tie_word_embeddings=False,
    dtype="bfloat16",
)

# name -> (config, expected no-split classes)
MODELS = OrderedDict(
    [
        (
            "qwen3-moe-small",
            (
                Qwen3MoeConfig(
                    **COMMON,
                    head_dim=32,
                    num_hidden_layers=6,
                    intermediate_size=768,
                    moe_intermediate_size=128,
                    num_experts=8,
                    num_experts_per_tok=2,
                    mlp_only_layers=[0],
                ),
                ["Qwen3MoeDecoderLayer"],
            ),
        ),
        (
            "mixtral-small",
            (
                MixtralConfig(
                    **COMMON, num_hidden_layers=4, intermediate_size=512, num_local_experts=4, num_experts_per_tok=2
                ),
                ["MixtralDecoderLayer"],
            ),
        ),
        (
            "qwen2-moe-small",
            (
                Qwen2MoeConfig(
                    **COMMON,
                    num_hidden_layers=4,
                    intermediate_size=768,
                    moe_intermediate_size=128,
                    shared_expert_intermediate_size=512,
                    num_experts=8,
                    num_experts_per_tok=2,
                ),
                ["Qwen2MoeDecoderLayer"],
            ),
        ),
        (
            "deepseek-v3-small",
            (
                DeepseekV3Config(
                    **COMMON,
                    num_hidden_layers=4,
                    intermediate_size=768,
                    moe_intermediate_size=128,
                    n_routed_experts=8,
                    n_shared_experts=1,
                    num_experts_per_tok=2,
                    first_k_dense_replace=1,
                    n_group=1,
                    topk_group=1,
                    q_lora_rank=64,
                    kv_lora_rank=32,
                    qk_rope_head_dim=16,
                    qk_nope_head_dim=32,
                    v_head_dim=32,
                ),
                ["DeepseekV3DecoderLayer"],
            ),
        ),
    ]
)


def build(config, dtype=torch.float32):
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config, dtype=dtype)


def settings(total, embedding):
    """max_memory settings as fractions of the model's bf16 size (so that every model is split)."""

    def f(x):
        return int(x * total)

    return [
        ("2gpu-even-roomy", [(0, f(0.75)), (1, f(0.75))]),
        ("2gpu-even-tight", [(0, f(0.56)), (1, f(0.56))]),
        ("2gpu-hetero", [(0, f(0.7)), (1, f(0.4))]),
        ("3gpu-unequal", [(0, f(0.3)), (1, f(0.45)), (2, f(0.4))]),
        ("4gpu-even", [(i, f(0.3)) for i in range(4)]),
        ("8gpu-even", [(i, f(0.16)) for i in range(8)]),
        ("2gpu-cpu-overflow", [(0, f(0.25)), (1, f(0.3)), ("cpu", 2 * total)]),
        ("2gpu-cpu-disk-overflow", [(0, f(0.2)), (1, f(0.2)), ("cpu", f(0.3))]),
        ("1gpu-all-fits", [(0, 2 * total)]),
        ("2gpu-gpu0-below-embedding", [(0, int(0.8 * embedding)), (1, 2 * total)]),
        ("3gpu-gpu0-zero", [(0, 0), (1, f(0.6)), (2, f(0.6))]),
    ]


def transformers_map(model16, mm, strategy):
    """What from_pretrained(device_map=strategy, max_memory=mm) computes in transformers 5."""
    from transformers.integrations import accelerate as tfa

    if strategy == "sequential":
        effective = tfa.get_max_memory(dict(mm))
    else:
        effective = tfa.get_balanced_memory(
            model16, max_memory=dict(mm), no_split_module_classes=model16._no_split_modules,
            low_zero=(strategy == "balanced_low_0"),
        )
    dmap = _get_device_map(model16, strategy, dict(mm), None)
    return OrderedDict(effective), dmap


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--out", default=os.path.join(repo_root, "fixtures", "accelerate", "moe"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    transformers.logging.set_verbosity_error()
    versions = OrderedDict(ref.VERSIONS)

    results = []
    differ = []
    for name, (config, expected_no_split) in MODELS.items():
        model = build(config)
        model16 = build(config, torch.bfloat16)
        no_split = sorted(model._no_split_modules)
        assert no_split == expected_no_split, (name, no_split)
        dump = OrderedDict()
        dump["model"] = name
        dump["versions"] = versions
        dump["config"] = config.to_dict()
        dump["class"] = model.__class__.__name__
        dump["parameterCount"] = sum(p.numel() for p in model.parameters())
        dump["noSplitModuleClasses"] = no_split
        dump["tiedParameters"] = find_tied_parameters(model)
        dump["root"] = ref.module_tree("", model)
        dump["moduleSizes"] = OrderedDict([("bfloat16", ref.sizes_dict(model, torch.bfloat16))])
        dump["moduleSizeOrder"] = list(compute_module_sizes(model, dtype=torch.bfloat16).keys())
        path = os.path.join(args.out, f"modules-{name}.json")
        print(f"wrote {os.path.relpath(path, repo_root)} ({ref.write_json(path, dump)} bytes)")

        sizes = compute_module_sizes(model, dtype=torch.bfloat16)
        for sname, mm in settings(sizes[""], sizes["model.embed_tokens"]):
            for strategy in ref.STRATEGIES:
                cname = f"{name}-{strategy}-{sname}"
                n_gpus = len([k for k, _ in mm if isinstance(k, int)])
                with ref.cuda_device_count(n_gpus):
                    effective, dmap, raw, msgs, logs = ref.run_accelerate(
                        model, mm, strategy, torch.bfloat16, no_split
                    )
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        logging.getLogger("transformers").disabled = True
                        tf_effective, tf_map = transformers_map(model16, mm, strategy)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    logging.getLogger("accelerate.utils.modeling").disabled = True
                    try:
                        effective2, dmap2, raw2, _, _ = ref.run_accelerate(
                            model, mm, strategy, torch.bfloat16, no_split
                        )
                    finally:
                        logging.getLogger("accelerate.utils.modeling").disabled = False
                assert (effective2, dict(dmap2), raw2) == (effective, dict(dmap), raw), cname
                case = OrderedDict()
                case["name"] = cname
                case["model"] = name
                case["dtype"] = "bfloat16"
                case["strategy"] = strategy
                case["noSplitModuleClasses"] = no_split
                case["maxMemory"] = [[ref.key_str(k), v] for k, v in mm]
                case["effectiveMaxMemory"] = [[ref.key_str(k), int(v)] for k, v in effective.items()]
                case["deviceMap"] = [[k, ref.device_value(v)] for k, v in dmap.items()]
                case["rawDeviceMap"] = [[k, ref.device_value(v)] for k, v in raw.items()]
                case["uncoveredTensors"] = ref.uncovered_tensors(model, dmap)
                case["warnings"] = msgs
                case["logs"] = logs
                case["transformersEffectiveMaxMemory"] = [[ref.key_str(k), int(v)] for k, v in tf_effective.items()]
                case["transformersDeviceMap"] = [[k, ref.device_value(v)] for k, v in tf_map.items()]
                if dict(tf_map) != dict(dmap):
                    differ.append(cname)
                results.append(case)

    path = os.path.join(args.out, "device-maps.json")
    size = ref.write_json(path, OrderedDict([("versions", versions), ("cases", results)]))
    print(f"wrote {os.path.relpath(path, repo_root)} ({size} bytes)")
    print("versions:", dict(versions))
    print(f"{len(results)} device-map cases; transformers 5's own map differs from accelerate's in {len(differ)}:")
    for c in differ:
        print("  ", c)


if __name__ == "__main__":
    main()

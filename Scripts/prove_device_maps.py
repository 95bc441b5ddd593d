#!/usr/bin/env python3
"""Proves that the planner's device maps load in transformers on two GPUs.

Two steps:

1. Here, with the planner built (`swift build`), write a config.json per model into
   `.prove/NAME/` and ask the planner for a two-GPU plan of that directory (the maps depend on
   module names and sizes only, which config.json fixes):

       python3 Scripts/prove_device_maps.py prepare [path/to/planner]

2. On a machine with two GPUs, torch and transformers: for each model, build it from the same
   config with random weights, save it (safetensors), load it with
   `from_pretrained(path, device_map=<the planner's map>, dtype=bfloat16)`, run a forward pass,
   and record torch.cuda.memory_allocated per GPU against the plan's weights per GPU, and every
   warning transformers or accelerate printed:

       python3 Scripts/prove_device_maps.py load > fixtures/measurements/device-maps-h200x2.json

Targets: loads with no error and no warning about unplaced or mismatched modules; weights per GPU
within 2% of the plan.
"""

import json
import os
import subprocess
import sys

TINY = dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=4,
            intermediate_size=512, vocab_size=4096, max_position_embeddings=4096, torch_dtype="bfloat16")

CONFIGS = {
    "llama": dict(model_type="llama", architectures=["LlamaForCausalLM"], **TINY),
    "mistral": dict(model_type="mistral", architectures=["MistralForCausalLM"], sliding_window=4096, **TINY),
    "qwen2": dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], **TINY),
    "qwen3": dict(model_type="qwen3", architectures=["Qwen3ForCausalLM"], head_dim=32, **TINY),
    "gemma": dict(model_type="gemma", architectures=["GemmaForCausalLM"], head_dim=32, **TINY),
    "gemma2": dict(model_type="gemma2", architectures=["Gemma2ForCausalLM"], head_dim=32, **TINY),
    "phi3": dict(model_type="phi3", architectures=["Phi3ForCausalLM"], pad_token_id=0, bos_token_id=1,
                 eos_token_id=2, **TINY),
    "mixtral": dict(model_type="mixtral", architectures=["MixtralForCausalLM"], num_local_experts=4,
                    num_experts_per_tok=2, **TINY),
    "qwen2-7b": dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], hidden_size=3584,
                     num_hidden_layers=28, num_attention_heads=28, num_key_value_heads=4, intermediate_size=18944,
                     vocab_size=152064, max_position_embeddings=32768, rope_theta=1e6, tie_word_embeddings=False,
                     torch_dtype="bfloat16"),
}


def prepare(planner):
    for name, config in CONFIGS.items():
        directory = os.path.join(".prove", name)
        os.makedirs(directory, exist_ok=True)
        json.dump(config, open(os.path.join(directory, "config.json"), "w"), indent=1)
        run = subprocess.run([planner, "--gpus", "2xH200", "--model", directory, "--strategy", "memory",
                              "--dtype", "bf16", "--format", "json"], capture_output=True, text=True)
        layout = json.loads(run.stdout)["layout"]  # the JSON contract, schema version 1 (Docs/JSON.md)
        json.dump({"deviceMap": layout["deviceMap"],
                   "weights": {d["index"]: d["memory"]["weights"] for d in layout["devices"]}},
                  open(os.path.join(directory, "plan.json"), "w"), indent=1)
        print(name, {d["index"]: d["memory"]["weights"] for d in layout["devices"]}, run.stderr.strip())


def load():
    import logging
    import tempfile
    import warnings

    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM

    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(f"{record.name}: {record.getMessage()}")

    handler = Collect(level=logging.WARNING)
    for logger in ("transformers", "accelerate"):
        logging.getLogger(logger).addHandler(handler)
    transformers.logging.set_verbosity_warning()
    results = {"transformers": transformers.__version__, "torch": torch.__version__,
               "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())], "models": []}
    for name in CONFIGS:
        directory = os.path.join(".prove", name)
        plan = json.load(open(os.path.join(directory, "plan.json")))
        entry = {"model": name}
        records.clear()
        try:
            config = AutoConfig.from_pretrained(directory)
            torch.manual_seed(0)
            model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
            with tempfile.TemporaryDirectory() as saved:
                model.save_pretrained(saved, safe_serialization=True)
                del model
                torch.cuda.empty_cache()
                before = [torch.cuda.memory_allocated(i) for i in range(2)]
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    loaded = AutoModelForCausalLM.from_pretrained(saved, device_map=plan["deviceMap"],
                                                                  dtype=torch.bfloat16)
                    ids = torch.randint(0, config.vocab_size, (1, 16), device="cuda:0")
                    with torch.no_grad():
                        logits = loaded(ids).logits
                allocated = [torch.cuda.memory_allocated(i) - before[i] for i in range(2)]
                # Bytes of the parameters and buffers that ended on each GPU (allocator-independent).
                held = [0, 0]
                for tensor in list(loaded.parameters()) + list(loaded.buffers()):
                    if tensor.device.type == "cuda":
                        held[tensor.device.index] += tensor.numel() * tensor.element_size()
                entry.update({
                    "loaded": True, "forwardShape": list(logits.shape),
                    "allocatedBytes": allocated, "heldBytes": held,
                    "planWeightBytes": [plan["weights"].get(str(i), 0) for i in range(2)],
                    "heldRelativeError": [((a - p) / p if p else None) for a, p in
                                          zip(held, [plan["weights"].get(str(i), 0) for i in range(2)])],
                    "allocatedRelativeError": [((a - p) / p if p else None) for a, p in
                                               zip(allocated, [plan["weights"].get(str(i), 0) for i in range(2)])],
                    "hfDeviceMapEntries": len(getattr(loaded, "hf_device_map", {}) or {}),
                    "warnings": [str(w.message)[:300] for w in caught] + records[:],
                })
                del loaded, logits
        except Exception as error:  # record and go on
            entry.update({"loaded": False, "error": f"{type(error).__name__}: {str(error)[:500]}",
                          "warnings": records[:]})
        torch.cuda.empty_cache()
        results["models"].append(entry)
        print(json.dumps(entry), file=sys.stderr, flush=True)
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2] if len(sys.argv) > 2 else ".build/debug/planner")
    else:
        load()

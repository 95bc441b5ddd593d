#!/usr/bin/env python3
"""Writes issue 11's hostile reproducers into a directory and prints one JSON line per case:
{"name": ..., "args": [...]} (the planner's arguments, paths inside the directory).

    Scripts/hostile_inputs.py /tmp/hostile

Used by Scripts/bench_hostile.sh; Tests/PlannerTests/CLI/HostileInputTests.swift builds the same
inputs in Swift.
"""
import json
import os
import struct
import sys


def safetensors(path, tensors, metadata=None, extra_header=""):
    """tensors: [(name, dtype, shape)] laid out one after another."""
    bits = {"F32": 32, "BF16": 16, "F16": 16}
    entries = {}
    if metadata is not None:
        entries["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape in tensors:
        count = 1
        for d in shape:
            count *= d
        size = count * bits[dtype] // 8 if 0 not in shape else 0
        entries[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    header = json.dumps(entries, separators=(",", ":")).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        f.truncate(8 + len(header) + offset)


def llama(hidden=64, layers=2, heads=4, kv=2, intermediate=128, vocab=256, extra=None):
    config = {
        "model_type": "llama", "hidden_size": hidden, "num_hidden_layers": layers,
        "num_attention_heads": heads, "num_key_value_heads": kv, "intermediate_size": intermediate,
        "vocab_size": vocab, "torch_dtype": "bfloat16",
    }
    config.update(extra or {})
    return config


def small_llama_tensors():
    h, i, v = 64, 128, 256
    tensors = [("model.embed_tokens.weight", "BF16", [v, h])]
    for n in range(2):
        p = f"model.layers.{n}."
        tensors += [
            (p + "input_layernorm.weight", "BF16", [h]),
            (p + "self_attn.q_proj.weight", "BF16", [h, h]),
            (p + "self_attn.k_proj.weight", "BF16", [32, h]),
            (p + "self_attn.v_proj.weight", "BF16", [32, h]),
            (p + "self_attn.o_proj.weight", "BF16", [h, h]),
            (p + "post_attention_layernorm.weight", "BF16", [h]),
            (p + "mlp.gate_proj.weight", "BF16", [i, h]),
            (p + "mlp.up_proj.weight", "BF16", [i, h]),
            (p + "mlp.down_proj.weight", "BF16", [h, i]),
        ]
    tensors += [("model.norm.weight", "BF16", [h]), ("lm_head.weight", "BF16", [v, h])]
    return tensors


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f)


def main(root):
    os.makedirs(root, exist_ok=True)
    cases = []

    def case(name, args):
        cases.append({"name": name, "args": args})

    def directory(name):
        path = os.path.join(root, name)
        os.makedirs(path, exist_ok=True)
        return path

    gpus = ["--gpus", "2xA100-80G"]

    d = directory("zero-dimension")
    safetensors(os.path.join(d, "model.safetensors"),
                [("w.weight", "F32", [4294967296, 4294967296, 0]), ("b.weight", "F32", [4])])
    case("trap1 zero dimension past Int64", gpus + ["--model", d])

    d = directory("huge-kv")
    write_json(os.path.join(d, "config.json"),
               llama(hidden=4096, layers=32, heads=4096, kv=4096, intermediate=14336, vocab=32000,
                     extra={"head_dim": 4096}))
    case("trap2 weights + saturated KV", gpus + ["--model", d, "--context", "10000000", "--batch", "65536"])

    d = directory("minicpmv-vision")
    # An LLM larger than the GPU (weights past the budget), then a vision peak that saturates.
    config = llama(hidden=8192, layers=80, heads=64, kv=8, intermediate=28672, vocab=152064, extra={
        "model_type": "minicpmv", "version": 2.6, "query_num": 4,
        "slice_config": {"max_slice_nums": 9, "patch_size": 1, "scale_resolution": 16384},
        "vision_config": {"hidden_size": 8, "image_size": 16384, "intermediate_size": 16,
                          "num_attention_heads": 2, "num_hidden_layers": 1, "patch_size": 1},
    })
    write_json(os.path.join(d, "config.json"), config)
    case("trap3 vLLM budget after a saturated vision peak", gpus + ["--model", d, "--runtime", "vllm"])

    spec = os.path.join(root, "slow-gpu.json")
    write_json(spec, {"name": "slowpoke", "memoryMiB": 81920, "bandwidthGBps": 1e-15, "fp32TFLOPS": 19.5,
                      "fp16TFLOPS": 312, "computeCapability": "8.0"})
    case("trap4 time of a 1e-15 GB/s GPU", ["--gpus", "2xslowpoke", "--gpu-spec", spec, "--model", "qwen2-7b"])

    profile = os.path.join(root, "slow-profile.json")
    write_json(profile, {"runtime": "transformers", "memoryEfficiency": 1e-300})
    case("trap4 time of memoryEfficiency 1e-300", gpus + ["--model", "qwen2-7b", "--profile", profile])

    d = directory("moe-128x1024")
    write_json(os.path.join(d, "config.json"), llama(layers=128, extra={
        "model_type": "qwen2_moe", "num_experts": 1024, "num_experts_per_tok": 8,
        "moe_intermediate_size": 64, "shared_expert_intermediate_size": 128, "decoder_sparse_step": 1,
        "mlp_only_layers": []}))
    case("blowup qwen2_moe 128 layers x 1024 experts", gpus + ["--model", d])
    case("blowup qwen2_moe 128 layers x 1024 experts --compare", gpus + ["--model", d, "--compare"])

    d = directory("extra-tensors")
    write_json(os.path.join(d, "config.json"), llama())
    safetensors(os.path.join(d, "model.safetensors"),
                small_llama_tensors() + [(f"extra_{n}", "BF16", [4]) for n in range(9990)])
    case("blowup 9990 extra top-level tensors", gpus + ["--model", d])

    d = directory("100k-tensors")
    safetensors(os.path.join(d, "model.safetensors"),
                [(f"model.layers.{n}.weight", "BF16", [4]) for n in range(100_000)])
    case("blowup 100000 tensors", gpus + ["--model", d])

    d = directory("metadata-60mb")
    safetensors(os.path.join(d, "model.safetensors"), small_llama_tensors(),
                metadata={"format": "pt", "x": [0] * 10_000_000})
    case("blowup 60 MB __metadata__", gpus + ["--model", d])

    spec = os.path.join(root, "long-name.json")
    write_json(spec, {"name": "a" * 1_000_000, "memoryMiB": 81920, "bandwidthGBps": 2000,
                      "fp32TFLOPS": 19.5, "fp16TFLOPS": 312, "computeCapability": "8.0"})
    case("blowup 1 MB --gpu-spec name, 1024 GPUs", ["--gpus", "1024xa", "--gpu-spec", spec, "--model", "qwen2-7b"])

    case("message --compare that fits nowhere", ["--gpus", "1xP4", "--model", "qwen2.5-72b", "--compare"])
    case("message newline in a value", gpus + ["--model", "qwen2-7b", "--batch", "1\n2\n3\n4"])
    case("message 131 KB value (131,000 digits)", gpus + ["--model", "qwen2-7b", "--batch", "9" * 131000])

    d = directory("empty-safetensors")
    open(os.path.join(d, "model.safetensors"), "w").close()
    case("message empty model.safetensors", gpus + ["--model", d])

    d = directory("symlink-loop")
    link = os.path.join(d, "model.safetensors")
    if not os.path.islink(link):
        os.symlink("model.safetensors", link)
    case("message symlink loop", gpus + ["--model", d])

    d = directory("duplicate-keys")
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(json.dumps(llama())[:-1] + ', "num_hidden_layers": 100000}')
    case("message duplicated key (the last wins)", gpus + ["--model", d])

    # The largest inputs accepted, for the benchmark of the bounds (these plan, exit 0 or 1).
    d = directory("bound-91500-tensors")
    safetensors(os.path.join(d, "model.safetensors"),
                [(f"model.layers.{n}.mlp.experts.{e}.w{w}.weight", "BF16", [4, 4])
                 for n in range(61) for e in range(500) for w in range(3)])
    case("bound 91,500 tensors in 61 blocks (DeepSeek-V3-sized header)", gpus + ["--model", d])

    d = directory("bound-moe-32x1024")
    write_json(os.path.join(d, "config.json"), llama(layers=32, extra={
        "model_type": "qwen2_moe", "num_experts": 1024, "num_experts_per_tok": 8,
        "moe_intermediate_size": 64, "shared_expert_intermediate_size": 128, "decoder_sparse_step": 1,
        "mlp_only_layers": []}))
    case("bound 32 layers x 1024 experts (32,768 expert modules)", gpus + ["--model", d])

    d = directory("bound-4000-blocks")
    safetensors(os.path.join(d, "model.safetensors"),
                [(f"model.layers.{n}.mlp.weight", "BF16", [64, 64]) for n in range(4000)])
    case("bound 4,000 blocks", gpus + ["--model", d])

    for c in cases:
        print(json.dumps(c))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/hostile")

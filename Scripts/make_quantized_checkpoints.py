#!/usr/bin/env python3
"""Writes pre-quantized checkpoints (config.json + safetensors headers) in the layouts the
quantizers serialize, for the importer's tests and benchmark. Data regions are zeros (tiny) or a
sparse hole (full size): the planner reads only headers.

    python3 Scripts/make_quantized_checkpoints.py fixtures/models/quantized        # tiny, committed
    python3 Scripts/make_quantized_checkpoints.py /tmp/qwen2.5-7b-awq --full awq   # Qwen2.5-7B-Instruct-AWQ, 2 shards

Layouts (tensor names, dtypes and shapes per linear layer of `in` inputs and `out` outputs):
- AWQ (AutoAWQ GEMM, version "gemm"): qweight I32 [in, out/8], qzeros I32 [in/g, out/8],
  scales F16 [in/g, out]; the checkpoint is fp16.
- GPTQ (AutoGPTQ / GPTQModel, packed along the input): qweight I32 [in/8, out],
  qzeros I32 [in/g, out/8], scales F16 [in/g, out], g_idx I32 [in], bias F16 [out].
- bitsandbytes 4-bit (transformers save_pretrained, nf4 with double quantization): weight U8
  [(out*in+1)/2, 1], weight.absmax U8 [out*in/64], weight.nested_absmax F32 [out*in/64/256],
  weight.nested_quant_map F32 [256], weight.quant_map F32 [16],
  weight.quant_state.bitsandbytes__nf4 U8 [JSON length].
- bitsandbytes 8-bit (LLM.int8): weight I8 [out, in], SCB F32 [out].
- fp8 (block-wise, DeepSeek-V3 / transformers FineGrainedFP8): weight F8_E4M3 [out, in],
  weight_scale_inv F32 [ceil(out/128), ceil(in/128)].
- compressed-tensors W4A16 (pack-quantized): weight_packed I32 [out, in/8],
  weight_scale BF16 [out, in/g], weight_shape I64 [2].
"""

import json
import math
import os
import struct
import sys

DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4, "I64": 8, "U8": 1, "I8": 1, "F8_E4M3": 1}

TINY = {"hidden": 64, "layers": 2, "heads": 4, "kv": 2, "inter": 128, "vocab": 256, "group": 32,
        "positions": 4096}
# Qwen2.5-7B-Instruct (its config.json): what the AWQ checkpoint Qwen/Qwen2.5-7B-Instruct-AWQ quantizes.
QWEN25_7B = {"hidden": 3584, "layers": 28, "heads": 28, "kv": 4, "inter": 18944, "vocab": 152064,
             "group": 128, "positions": 32768}


def linears(c):
    hd = c["hidden"] // c["heads"]
    return [("self_attn.q_proj", c["hidden"], c["heads"] * hd, True),
            ("self_attn.k_proj", c["hidden"], c["kv"] * hd, True),
            ("self_attn.v_proj", c["hidden"], c["kv"] * hd, True),
            ("self_attn.o_proj", c["heads"] * hd, c["hidden"], False),
            ("mlp.gate_proj", c["hidden"], c["inter"], False),
            ("mlp.up_proj", c["hidden"], c["inter"], False),
            ("mlp.down_proj", c["inter"], c["hidden"], False)]


def quantized_linear(method, name, n_in, n_out, bias, g):
    """The stored tensors of one linear layer under `method`."""
    t = []
    if method == "awq":
        t += [(name + ".qweight", "I32", [n_in, n_out // 8]), (name + ".qzeros", "I32", [n_in // g, n_out // 8]),
              (name + ".scales", "F16", [n_in // g, n_out])]
        if bias:
            t.append((name + ".bias", "F16", [n_out]))
    elif method == "gptq":
        t += [(name + ".qweight", "I32", [n_in // 8, n_out]), (name + ".qzeros", "I32", [n_in // g, n_out // 8]),
              (name + ".scales", "F16", [n_in // g, n_out]), (name + ".g_idx", "I32", [n_in])]
        if bias:
            t.append((name + ".bias", "F16", [n_out]))
    elif method == "bnb-4bit":
        n = n_out * n_in
        state = json.dumps({"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16",
                            "shape": [n_out, n_in], "nested_blocksize": 256, "nested_offset": 0.0})
        t += [(name + ".weight", "U8", [(n + 1) // 2, 1]), (name + ".weight.absmax", "U8", [n // 64]),
              (name + ".weight.nested_absmax", "F32", [max(n // 64 // 256, 1)]),
              (name + ".weight.nested_quant_map", "F32", [256]), (name + ".weight.quant_map", "F32", [16]),
              (name + ".weight.quant_state.bitsandbytes__nf4", "U8", [len(state)])]
        if bias:
            t.append((name + ".bias", "BF16", [n_out]))
    elif method == "bnb-8bit":
        t += [(name + ".weight", "I8", [n_out, n_in]), (name + ".SCB", "F32", [n_out])]
        if bias:
            t.append((name + ".bias", "F16", [n_out]))
    elif method == "fp8":
        t += [(name + ".weight", "F8_E4M3", [n_out, n_in]),
              (name + ".weight_scale_inv", "F32", [math.ceil(n_out / 128), math.ceil(n_in / 128)])]
        if bias:
            t.append((name + ".bias", "BF16", [n_out]))
    elif method == "compressed-tensors":
        t += [(name + ".weight_packed", "I32", [n_out, n_in // 8]),
              (name + ".weight_scale", "BF16", [n_out, n_in // g]), (name + ".weight_shape", "I64", [2])]
        if bias:
            t.append((name + ".bias", "BF16", [n_out]))
    else:
        raise SystemExit(f"unknown method {method}")
    return t


def quantization_config(method, g):
    if method == "awq":
        return {"bits": 4, "group_size": g, "modules_to_not_convert": None, "quant_method": "awq",
                "version": "gemm", "zero_point": True}
    if method == "gptq":
        return {"bits": 4, "group_size": g, "damp_percent": 0.01, "desc_act": False, "quant_method": "gptq",
                "sym": True, "true_sequential": True}
    if method == "bnb-4bit":
        return {"quant_method": "bitsandbytes", "load_in_4bit": True, "load_in_8bit": False,
                "bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": True,
                "bnb_4bit_compute_dtype": "bfloat16", "bnb_4bit_quant_storage": "uint8"}
    if method == "bnb-8bit":
        return {"quant_method": "bitsandbytes", "load_in_8bit": True, "load_in_4bit": False,
                "llm_int8_threshold": 6.0}
    if method == "fp8":
        return {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [128, 128]}
    if method == "compressed-tensors":
        return {"quant_method": "compressed-tensors", "format": "pack-quantized",
                "config_groups": {"group_0": {"targets": ["Linear"], "input_activations": None,
                                              "weights": {"num_bits": 4, "type": "int", "symmetric": True,
                                                          "strategy": "group", "group_size": g}}},
                "ignore": ["lm_head"]}
    raise SystemExit(f"unknown method {method}")


def tensors(method, c):
    # Non-quantized tensors: fp16 for AWQ/GPTQ checkpoints (they are fp16 models), bf16 otherwise.
    half = "F16" if method in ("awq", "gptq", "bnb-8bit") else "BF16"
    out = [("model.embed_tokens.weight", half, [c["vocab"], c["hidden"]])]
    for i in range(c["layers"]):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", half, [c["hidden"]]),
                (p + "post_attention_layernorm.weight", half, [c["hidden"]])]
        for name, n_in, n_out, bias in linears(c):
            out += quantized_linear(method, p + name, n_in, n_out, bias, c["group"])
    out += [("model.norm.weight", half, [c["hidden"]]), ("lm_head.weight", half, [c["vocab"], c["hidden"]])]
    return out


def nbytes(dtype, shape):
    n = 1
    for d in shape:
        n *= d
    return n * DTYPE_BYTES[dtype]


def write_shard(path, items, sparse):
    header, offset = {}, 0
    for name, dtype, shape in items:
        size = nbytes(dtype, shape)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    data = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    data += b" " * ((8 - len(data) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(data)))
        f.write(data)
        if sparse:
            f.truncate(8 + len(data) + offset)
        else:
            f.write(b"\0" * offset)


def write(out, method, c, shards, sparse):
    os.makedirs(out, exist_ok=True)
    config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": c["hidden"],
              "num_hidden_layers": c["layers"], "num_attention_heads": c["heads"],
              "num_key_value_heads": c["kv"], "intermediate_size": c["inter"], "vocab_size": c["vocab"],
              "max_position_embeddings": c["positions"], "rope_theta": 1000000.0, "rms_norm_eps": 1e-06,
              "tie_word_embeddings": False,
              "torch_dtype": "float16" if method in ("awq", "gptq", "bnb-8bit") else "bfloat16",
              "quantization_config": quantization_config(method, c["group"])}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    items = tensors(method, c)
    if shards == 1:
        write_shard(os.path.join(out, "model.safetensors"), items, sparse)
        return len(items)
    per = (len(items) + shards - 1) // shards
    weight_map = {}
    for s in range(shards):
        name = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = items[s * per:(s + 1) * per]
        write_shard(os.path.join(out, name), part, sparse)
        weight_map.update({t[0]: name for t in part})
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": sum(nbytes(d, s) for _, d, s in items)}, "weight_map": weight_map},
                  f, indent=2, sort_keys=True)
    return len(items)


METHODS = ["awq", "gptq", "bnb-4bit", "bnb-8bit", "fp8", "compressed-tensors"]


def main():
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    out = args[0]
    if "--full" in args:
        method = args[args.index("--full") + 1]
        count = write(out, method, QWEN25_7B, 2, sparse=True)
        print(f"{method}: {count} tensors in 2 shards under {out} (Qwen2.5-7B-Instruct shapes)")
        return
    for method in METHODS:
        count = write(os.path.join(out, "tiny-qwen2-" + method), method, TINY, 1, sparse=False)
        print(f"{method}: {count} tensors")


if __name__ == "__main__":
    main()

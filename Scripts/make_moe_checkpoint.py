#!/usr/bin/env python3
"""Writes a headers-only checkpoint with Qwen3-235B-A22B's config.json, tensor names, shapes and
bf16 dtype (94 layers x 128 experts: 36,945 tensors), in one shard or N: each shard's header is
real and its data a sparse hole of the right length (nothing is written but the headers). The
config is the model's own (Qwen/Qwen3-235B-A22B config.json). For timing the importer:

    python3 Scripts/make_moe_checkpoint.py /tmp/qwen3-235b-a22b-headers 1
    time .build/release/planner --gpus 8xA100-80G --model /tmp/qwen3-235b-a22b-headers > /dev/null
"""

import json
import os
import struct
import sys

CONFIG = {
    "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_size": 4096,
    "num_hidden_layers": 94, "num_attention_heads": 64, "num_key_value_heads": 4, "head_dim": 128,
    "intermediate_size": 12288, "moe_intermediate_size": 1536, "num_experts": 128,
    "num_experts_per_tok": 8, "decoder_sparse_step": 1, "mlp_only_layers": [], "norm_topk_prob": True,
    "vocab_size": 151936, "max_position_embeddings": 40960, "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-06, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "attention_bias": False, "hidden_act": "silu",
}


def shapes(config):
    h, hd = config["hidden_size"], config["head_dim"]
    heads, kv, experts = config["num_attention_heads"], config["num_key_value_heads"], config["num_experts"]
    inter, vocab = config["moe_intermediate_size"], config["vocab_size"]
    out = [("model.embed_tokens.weight", [vocab, h])]
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out += [(p + "self_attn.q_proj.weight", [heads * hd, h]), (p + "self_attn.k_proj.weight", [kv * hd, h]),
                (p + "self_attn.v_proj.weight", [kv * hd, h]), (p + "self_attn.o_proj.weight", [h, heads * hd]),
                (p + "self_attn.q_norm.weight", [hd]), (p + "self_attn.k_norm.weight", [hd]),
                (p + "input_layernorm.weight", [h]), (p + "post_attention_layernorm.weight", [h]),
                (p + "mlp.gate.weight", [experts, h])]
        for e in range(experts):
            q = f"{p}mlp.experts.{e}."
            out += [(q + "gate_proj.weight", [inter, h]), (q + "up_proj.weight", [inter, h]),
                    (q + "down_proj.weight", [h, inter])]
    return out + [("model.norm.weight", [h]), ("lm_head.weight", [vocab, h])]


def main():
    out, shards = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1
    tensors = shapes(CONFIG)
    os.makedirs(out, exist_ok=True)
    json.dump(CONFIG, open(os.path.join(out, "config.json"), "w"), indent=2)
    per = (len(tensors) + shards - 1) // shards
    weight_map, total = {}, 0
    for s in range(shards):
        name = "model.safetensors" if shards == 1 else f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for tensor, shape in tensors[s * per:(s + 1) * per]:
            n = 1
            for d in shape:
                n *= d
            header[tensor] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + 2 * n]}
            offset += 2 * n
            weight_map[tensor] = name
        total += offset
        data = json.dumps(header, separators=(",", ":")).encode()
        data += b" " * ((8 - len(data) % 8) % 8)
        with open(os.path.join(out, name), "wb") as f:
            f.write(struct.pack("<Q", len(data)))
            f.write(data)
            f.truncate(8 + len(data) + offset)
    if shards > 1:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map},
                  open(os.path.join(out, "model.safetensors.index.json"), "w"))
    print(f"{len(tensors)} tensors in {shards} shard(s) under {out}")


if __name__ == "__main__":
    main()

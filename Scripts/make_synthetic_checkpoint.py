#!/usr/bin/env python3
"""Writes a synthetic sharded checkpoint with Llama-3-70B's tensor names, shapes and bf16 dtype:
config.json, model.safetensors.index.json and N shards whose headers are real and whose data is
a sparse hole of the right length (nothing is written but the headers). For timing the importer:

    python3 Scripts/make_synthetic_checkpoint.py /tmp/llama-3-70b-synthetic 30
    time .build/release/planner --gpus 8xA100-80G --model /tmp/llama-3-70b-synthetic > /dev/null
"""

import json
import os
import struct
import sys


def main():
    out, shards = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30
    h, layers, heads, kv, inter, vocab = 8192, 80, 64, 8, 28672, 128256
    hd = h // heads
    shapes = [("model.embed_tokens.weight", [vocab, h])]
    for i in range(layers):
        p = f"model.layers.{i}."
        shapes += [(p + "self_attn.q_proj.weight", [heads * hd, h]), (p + "self_attn.k_proj.weight", [kv * hd, h]),
                   (p + "self_attn.v_proj.weight", [kv * hd, h]), (p + "self_attn.o_proj.weight", [h, heads * hd]),
                   (p + "mlp.gate_proj.weight", [inter, h]), (p + "mlp.up_proj.weight", [inter, h]),
                   (p + "mlp.down_proj.weight", [h, inter]), (p + "input_layernorm.weight", [h]),
                   (p + "post_attention_layernorm.weight", [h])]
    shapes += [("model.norm.weight", [h]), ("lm_head.weight", [vocab, h])]
    os.makedirs(out, exist_ok=True)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": h,
              "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv,
              "intermediate_size": inter, "vocab_size": vocab, "max_position_embeddings": 8192,
              "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16"}
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=2)
    per = (len(shapes) + shards - 1) // shards
    weight_map = {}
    for s in range(shards):
        name = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        header, offset = {}, 0
        for tensor, shape in shapes[s * per:(s + 1) * per]:
            n = 1
            for d in shape:
                n *= d
            header[tensor] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + 2 * n]}
            offset += 2 * n
            weight_map[tensor] = name
        data = json.dumps(header, separators=(",", ":")).encode()
        data += b" " * ((8 - len(data) % 8) % 8)
        with open(os.path.join(out, name), "wb") as f:
            f.write(struct.pack("<Q", len(data)))
            f.write(data)
            f.truncate(8 + len(data) + offset)
    json.dump({"metadata": {"total_size": sum(2 * eval("*".join(map(str, s))) for _, s in shapes)},
               "weight_map": weight_map}, open(os.path.join(out, "model.safetensors.index.json"), "w"))
    print(f"{len(shapes)} tensors in {shards} shards under {out}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a Llama-3-70B GGUF (v3) with a Q4_K_M-like mix whose header is real and whose tensor data
is a sparse hole of the right length, for timing the planner's GGUF import (issue 12's benchmark):

    python3 Scripts/make_big_gguf_header.py /tmp/llama-3-70b-Q4_K_M.gguf
    .build/release/planner benchmark --model /tmp/llama-3-70b-Q4_K_M.gguf

No dependency: the format is written directly (magic, version 3, metadata, tensor infos, 32-byte
alignment; ggml block sizes Q4_K 256 elements in 144 bytes, Q6_K 256 in 210, F32 4 bytes each,
as gguf-py's GGML_QUANT_SIZES gives them: fixtures/models/ggml-quant-sizes.json).
"""
import struct
import sys

Q4_K, Q6_K, F32 = 12, 14, 0
BLOCK = {Q4_K: (256, 144), Q6_K: (256, 210), F32: (1, 4)}


def string(text):
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def kv_u32(key, value):
    return string(key) + struct.pack("<I", 4) + struct.pack("<I", value)


def kv_str(key, value):
    return string(key) + struct.pack("<I", 8) + string(value)


def main():
    out = sys.argv[1]
    hidden, layers, heads, kv, ffn, vocab = 8192, 80, 64, 8, 28672, 128256
    hd = hidden // heads
    tensors = [("token_embd.weight", [hidden, vocab], Q4_K)]
    for i in range(layers):
        p = f"blk.{i}."
        tensors += [(p + "attn_norm.weight", [hidden], F32), (p + "attn_q.weight", [hidden, heads * hd], Q4_K),
                    (p + "attn_k.weight", [hidden, kv * hd], Q4_K), (p + "attn_v.weight", [hidden, kv * hd], Q6_K),
                    (p + "attn_output.weight", [heads * hd, hidden], Q4_K), (p + "ffn_norm.weight", [hidden], F32),
                    (p + "ffn_gate.weight", [hidden, ffn], Q4_K), (p + "ffn_up.weight", [hidden, ffn], Q4_K),
                    (p + "ffn_down.weight", [ffn, hidden], Q6_K)]
    tensors += [("output_norm.weight", [hidden], F32), ("output.weight", [hidden, vocab], Q6_K)]
    meta = [kv_str("general.architecture", "llama"), kv_str("general.name", "Llama-3-70B (header only)"),
            kv_u32("llama.block_count", layers), kv_u32("llama.context_length", 8192),
            kv_u32("llama.embedding_length", hidden), kv_u32("llama.feed_forward_length", ffn),
            kv_u32("llama.attention.head_count", heads), kv_u32("llama.attention.head_count_kv", kv),
            kv_u32("llama.vocab_size", vocab), kv_u32("general.alignment", 32)]
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)) + b"".join(meta)
    offset = 0
    infos = []
    for name, dims, qtype in tensors:
        elements = 1
        for d in dims:
            elements *= d
        per, size = BLOCK[qtype]
        nbytes = elements // per * size
        infos.append(string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
                     + struct.pack("<IQ", qtype, offset))
        offset += (nbytes + 31) // 32 * 32
    data = header + b"".join(infos)
    data += b"\0" * ((32 - len(data) % 32) % 32)
    with open(out, "wb") as f:
        f.write(data)
        f.truncate(len(data) + offset)
    print(f"{len(tensors)} tensors, {offset / 2**30:.2f} GiB of data (sparse) in {out}")


if __name__ == "__main__":
    main()

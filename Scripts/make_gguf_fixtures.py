#!/usr/bin/env python3
"""Writes the GGUF fixtures with the `gguf` package (gguf-py, llama.cpp's own writer), so that the
planner's parser is checked against files it did not write itself.

    pip install gguf numpy   # gguf 0.19.0 was used
    Scripts/make_gguf_fixtures.py

- fixtures/models/ggml-quant-sizes.json: gguf-py's GGML_QUANT_SIZES (elements and bytes per block
  of every ggml type), which GGUFTests compares with GGMLType.all.
- fixtures/models/tiny-llama-Q4_K_M.gguf: a 2-block llama in a Q4_K_M-like mix (Q4_K matrices,
  Q6_K attn_v, ffn_down and output, F32 norms), tensor data all zero (it compresses to nothing in
  git). GGUFTests and the golden llama-cpp-2xP4-tiny-gguf read it.
"""
import json
import pathlib

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

root = pathlib.Path(__file__).resolve().parent.parent
models = root / "fixtures" / "models"

sizes = {t.name: {"id": int(t), "blockElements": s[0], "blockBytes": s[1]} for t, s in gguf.GGML_QUANT_SIZES.items()}
(models / "ggml-quant-sizes.json").write_text(
    json.dumps({"gguf": getattr(gguf, "__version__", "0.19.0"), "types": sizes}, indent=2, sort_keys=True) + "\n")

hidden, heads, kv_heads, ffn, vocab, blocks = 256, 2, 1, 256, 64, 2
head_dim = hidden // heads
writer = gguf.GGUFWriter(str(models / "tiny-llama-Q4_K_M.gguf"), "llama")
writer.add_name("tiny-llama")
writer.add_block_count(blocks)
writer.add_context_length(4096)
writer.add_embedding_length(hidden)
writer.add_feed_forward_length(ffn)
writer.add_head_count(heads)
writer.add_head_count_kv(kv_heads)
writer.add_layer_norm_rms_eps(1e-6)
writer.add_file_type(15)  # LLAMA_FTYPE_MOSTLY_Q4_K_M
writer.add_tokenizer_model("gpt2")
writer.add_token_list([f"t{i}" for i in range(vocab)])


def add(name, rows, row_length, qtype):
    """A zero tensor of `rows` rows of `row_length` elements (ggml ne = [row_length, rows])."""
    elements, nbytes = gguf.GGML_QUANT_SIZES[qtype]
    if qtype == T.F32:
        writer.add_tensor(name, np.zeros((rows, row_length) if rows > 1 else (row_length,), dtype=np.float32))
        return
    data = np.zeros((rows, row_length // elements * nbytes), dtype=np.uint8)
    writer.add_tensor(name, data, raw_dtype=qtype)


add("token_embd.weight", vocab, hidden, T.Q4_K)
for b in range(blocks):
    add(f"blk.{b}.attn_norm.weight", 1, hidden, T.F32)
    add(f"blk.{b}.attn_q.weight", heads * head_dim, hidden, T.Q4_K)
    add(f"blk.{b}.attn_k.weight", kv_heads * head_dim, hidden, T.Q4_K)
    add(f"blk.{b}.attn_v.weight", kv_heads * head_dim, hidden, T.Q6_K)
    add(f"blk.{b}.attn_output.weight", hidden, heads * head_dim, T.Q4_K)
    add(f"blk.{b}.ffn_norm.weight", 1, hidden, T.F32)
    add(f"blk.{b}.ffn_gate.weight", ffn, hidden, T.Q4_K)
    add(f"blk.{b}.ffn_up.weight", ffn, hidden, T.Q4_K)
    add(f"blk.{b}.ffn_down.weight", hidden, ffn, T.Q6_K)
add("output_norm.weight", 1, hidden, T.F32)
add("output.weight", vocab, hidden, T.Q6_K)

writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()

# Seeds for Scripts/fuzz_gguf.sh: the mode byte (Tests/Fuzz/FuzzGGUF.swift), then small files.
corpus = root / "Tests" / "Fuzz" / "corpus-gguf"
corpus.mkdir(parents=True, exist_ok=True)


def small(path, arch, tensors, meta=lambda w: None):
    w = gguf.GGUFWriter(str(path), arch)
    meta(w)
    for name, rows, row_length, qtype in tensors:
        elements, nbytes = gguf.GGML_QUANT_SIZES[qtype]
        if qtype == T.F32:
            w.add_tensor(name, np.zeros((rows, row_length) if rows > 1 else (row_length,), dtype=np.float32))
        else:
            w.add_tensor(name, np.zeros((rows, row_length // elements * nbytes), dtype=np.uint8), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path.read_bytes()


def llama_meta(w):
    w.add_block_count(2)
    w.add_context_length(256)
    w.add_embedding_length(32)
    w.add_feed_forward_length(64)
    w.add_head_count(4)
    w.add_head_count_kv([2, 1])
    w.add_expert_count(2)
    w.add_expert_used_count(1)
    w.add_token_list(["a", "b", "c"])
    w.add_array("t.floats", [0.5, 1.5])


scratch = pathlib.Path("/tmp/planner-gguf-seeds")
scratch.mkdir(exist_ok=True)
model = small(scratch / "m.gguf", "llama", [
    ("token_embd.weight", 3, 32, T.Q8_0), ("blk.0.attn_norm.weight", 1, 32, T.F32),
    ("blk.0.attn_q.weight", 32, 32, T.Q4_0), ("blk.1.ffn_up_exps.weight", 2, 32, T.Q8_0),
    ("output_norm.weight", 1, 32, T.F32),
], llama_meta)
projector = small(scratch / "p.gguf", "clip", [("v.blk.0.attn_q.weight", 2, 32, T.F16), ("mm.0.weight", 1, 32, T.F32)])
(corpus / "single").write_bytes(bytes([0]) + model)
(corpus / "with-mmproj").write_bytes(bytes([1]) + model + projector)

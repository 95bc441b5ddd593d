#!/usr/bin/env python3
"""Measures decode time per token and prefill memory of eager transformers on one GPU.

Random weights (nothing downloaded): Qwen2-7B geometry (MiniCPM-V 2.6's LLM) in bf16, built from
its config with 28 layers and again with 14 layers, so that the slope gives the time per decoder
layer and the intercept the per-step overhead (embedding, head, sampling, the generate loop).
Greedy decoding with `model.generate`, sdpa attention, batch 1.

For each layer count: decode ms/token = (t(1 + N tokens) - t(1 token)) / N, with N = 128 new
tokens after a 512-token prompt, warmed up twice, median of 7 repeats, and the whole measurement
repeated 3 times to show the spread. Also: bytes allocated for the weights, and the peak allocated
during a 4096-token prefill (batch 1), minus the weights: the activation peak the memory model
predicts.

Run on a machine with an NVIDIA GPU, torch and transformers:

    python3 Scripts/measure_decode.py > fixtures/measurements/decode-<gpu>.json
"""

import json
import platform
import statistics
import subprocess
import sys
import time

import torch
import transformers
from transformers import Qwen2Config, Qwen2ForCausalLM


def config(layers):
    return Qwen2Config(
        hidden_size=3584, num_hidden_layers=layers, num_attention_heads=28, num_key_value_heads=4,
        intermediate_size=18944, vocab_size=151666, max_position_embeddings=32768, rope_theta=1e6,
        rms_norm_eps=1e-6, tie_word_embeddings=False, attn_implementation="sdpa")


def build(layers):
    torch.manual_seed(0)
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = Qwen2ForCausalLM(config(layers))
    torch.set_default_dtype(torch.float32)
    model.eval()
    model.generation_config.pad_token_id = 0
    return model


def timed_generate(model, prompt, new_tokens):
    torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.no_grad():
        model.generate(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
    torch.cuda.synchronize()
    return time.perf_counter() - start


def decode_ms_per_token(model, prompt_tokens=512, new_tokens=128, repeats=7):
    prompt = torch.randint(100, 1000, (1, prompt_tokens), device="cuda")
    for _ in range(2):
        timed_generate(model, prompt, new_tokens)
    samples = []
    for _ in range(repeats):
        one = timed_generate(model, prompt, 1)
        many = timed_generate(model, prompt, 1 + new_tokens)
        samples.append((many - one) / new_tokens * 1000)
    return statistics.median(samples), samples


def prefill_peak(model, tokens=4096):
    prompt = torch.randint(100, 1000, (1, tokens), device="cuda")
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    with torch.no_grad():
        model(prompt, use_cache=True, logits_to_keep=1)
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - base


def main():
    gpu = torch.cuda.get_device_name(0)
    free, total = torch.cuda.mem_get_info()
    result = {
        "script": "Scripts/measure_decode.py",
        "gpu": gpu, "cudaTotalBytes": total,
        "cpu": subprocess.run(["bash", "-c", "lscpu | grep 'Model name' | head -1"], capture_output=True,
                              text=True).stdout.strip(),
        "python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
        "dtype": "bf16", "attention": "sdpa", "batch": 1, "promptTokens": 512, "newTokens": 128,
        "runs": [],
    }
    for layers in (28, 14):
        model = build(layers)
        torch.cuda.synchronize()
        weights = torch.cuda.memory_allocated()
        rounds = [decode_ms_per_token(model) for _ in range(3)]
        result["runs"].append({
            "layers": layers, "weightBytesAllocated": weights,
            "parameterBytes": sum(p.numel() * p.element_size() for p in model.parameters()),
            "decodeMsPerTokenMedians": [round(m, 4) for m, _ in rounds],
            "decodeMsPerTokenSamples": [[round(s, 4) for s in samples] for _, samples in rounds],
            "prefill4096PeakActivationBytes": prefill_peak(model),
        })
        del model
        torch.cuda.empty_cache()
    full, half = result["runs"]
    per_layer = (statistics.median(full["decodeMsPerTokenMedians"]) - statistics.median(half["decodeMsPerTokenMedians"])) / 14
    result["derived"] = {
        "msPerDecoderLayer": round(per_layer, 4),
        "msPerStepOutsideLayers": round(statistics.median(full["decodeMsPerTokenMedians"]) - 28 * per_layer, 4),
    }
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

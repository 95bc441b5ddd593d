#!/usr/bin/env python3
"""Where eager decode time goes, by architecture, offload and quantization method (issue 14).

Random weights, nothing downloaded: models are built from configs on the GPU. Every decode time is
measured by Scripts/decode_rounds.py (warm-up until three rounds agree within 5%, at least 5 rounds,
the spread reported). Parts:

  --part arch     for each decoder architecture (Llama-3-8B, Qwen2-7B, Gemma-2-9B, Phi-3-mini, Qwen3-8B
                  geometry; Qwen3-30B-A3B, Qwen1.5-MoE-A2.7B and Mixtral-8x7B geometry for MoE) at two or
                  three layer counts, bf16, sdpa (Gemma-2: eager, its softcapping needs it): batch-1
                  decode ms per step; kernel launches per decode step counted by torch.profiler (runtime
                  API launch calls), and per child module of decoder layer 0 (launch calls inside the
                  module's forward); the GPU's busy time per step from the profiler's kernel durations.
                  The slope over layer counts is the per-layer time and per-layer launches.
  --part interleave  the same architectures at two layer counts, all resident at once, measured round
                  by round in turn (so the host's drift moves them alike): per-layer slope of every sweep.
  --part vision   SigLIP-so400m (448 px, one slice) forward at 9 and 27 blocks: ms and launches per block.
  --part offload  Qwen2-7B geometry, 12 layers: decode with 0, 2 and 4 layers offloaded to the CPU by
                  accelerate's dispatch_model (weights in pageable host memory, copied in every forward),
                  and 2 to disk; raw pageable and pinned host-to-device copy rates of one layer's bytes.
  --part offload2 the offload rate out of its sample: Qwen2-7B geometry (8 layers) with 2 and 4 layers on
                  the CPU, Llama-3-8B geometry with 1 and 3; built on the GPU, offloaded layers moved to
                  the CPU before dispatch_model (pageable host memory, as from_pretrained leaves them).
  --part graphs   one decode step (128 tokens cached, static cache) captured in a CUDA graph and replayed:
                  Mixtral-8x7B and Qwen3-30B-A3B geometry against Llama-3-8B (dense) at two layer counts
                  and batch 1, 4 and 16; GPU time with no host time, the distinct experts every MoE layer's
                  tokens routed to, and the same step eager; the GPU's read rate of a large reduction.
  --part kernels  every GPU kernel of one eager decode step (static cache) by name, launches and time
                  per step: Mixtral (2 layers), Qwen3-30B-A3B (4) and Llama-3-8B (2) geometry at batch 1,
                  4 and 16: what the expert GEMMs take beside the rest.
  --part modules  the host wall time and launches of each child module of decoder layers 0 and 1
                  (attention, MLP, norms) for Llama, Qwen2, Phi-3 and Qwen3 geometry: where Phi-3's
                  extra host time per launch goes.
  --part launches kernel launches (and aten ops) per decoder layer of each --arch, no timing.
  --part fp8mm    a Qwen2-7B layer's linears at 1 and 16 tokens as bf16 matmuls and fp8 torch._scaled_mm,
                  from CUDA graphs: microseconds and weight bytes per second.
  --part quant    Qwen2-7B geometry at 4 and 12 layers in bf16, bitsandbytes int8 and nf4 (carried wheel)
                  and fine-grained fp8 (transformers' FineGrainedFP8Config): decode ms per step.

Usage (on the GPU machine; --deadline stops starting new sections after that many seconds):

    python3 Scripts/measure_host_cost.py --part arch vision --out fixtures/measurements/host-cost-h200.json
    python3 Scripts/measure_host_cost.py --part offload quant --out fixtures/measurements/offload-quant-h200.json
    python3 Scripts/measure_host_cost.py --part graphs fp8mm offload2 --out fixtures/measurements/graphs-offload-h200.json

The JSON is rewritten after every section; times are milliseconds.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from decode_rounds import robust_decode, timed_generate  # noqa: E402
from random_model import random_model  # noqa: E402

import torch  # noqa: E402
import transformers  # noqa: E402

START = time.perf_counter()
TINY = False
DEVICE = "cuda"


def log(*args):
    print(f"[{time.perf_counter() - START:6.1f}s]", *args, flush=True)


# Geometries from the models' published config.json files (../shared/reference/models-and-gpus.md and
# catalog/models/*.json), only the layer count changed.
ARCHS = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", dict(
        hidden_size=4096, num_attention_heads=32, num_key_value_heads=8, intermediate_size=14336,
        vocab_size=128256, rope_theta=5e5, rms_norm_eps=1e-5, tie_word_embeddings=False)),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", dict(
        hidden_size=3584, num_attention_heads=28, num_key_value_heads=4, intermediate_size=18944,
        vocab_size=152064, rope_theta=1e6, rms_norm_eps=1e-6, tie_word_embeddings=False)),
    "gemma2": ("Gemma2Config", "Gemma2ForCausalLM", dict(
        hidden_size=3584, num_attention_heads=16, num_key_value_heads=8, head_dim=256,
        intermediate_size=14336, vocab_size=256000, attn_logit_softcapping=50.0,
        final_logit_softcapping=30.0, sliding_window=4096, query_pre_attn_scalar=256,
        hidden_activation="gelu_pytorch_tanh")),
    "phi3": ("Phi3Config", "Phi3ForCausalLM", dict(
        hidden_size=3072, num_attention_heads=32, num_key_value_heads=32, intermediate_size=8192,
        vocab_size=32064, rope_theta=1e4, tie_word_embeddings=False)),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM", dict(
        hidden_size=4096, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
        intermediate_size=12288, vocab_size=151936, rope_theta=1e6, tie_word_embeddings=False)),
    "qwen3moe": ("Qwen3MoeConfig", "Qwen3MoeForCausalLM", dict(
        hidden_size=2048, num_attention_heads=32, num_key_value_heads=4, head_dim=128,
        intermediate_size=6144, moe_intermediate_size=768, num_experts=128, num_experts_per_tok=8,
        vocab_size=151936, decoder_sparse_step=1, norm_topk_prob=True, tie_word_embeddings=False)),
    "qwen2moe": ("Qwen2MoeConfig", "Qwen2MoeForCausalLM", dict(
        hidden_size=2048, num_attention_heads=16, num_key_value_heads=16, intermediate_size=5632,
        moe_intermediate_size=1408, shared_expert_intermediate_size=5632, num_experts=60,
        num_experts_per_tok=4, vocab_size=151936, tie_word_embeddings=False)),
    "mixtral": ("MixtralConfig", "MixtralForCausalLM", dict(
        hidden_size=4096, num_attention_heads=32, num_key_value_heads=8, intermediate_size=14336,
        num_local_experts=8, num_experts_per_tok=2, vocab_size=32000, rope_theta=1e6)),
    # Held out of every host-cost fit, declared before they were first measured (3 December 2026):
    # their launches are the planner's structural count, their host time the fitted profile's.
    "gemma3": ("Gemma3TextConfig", "Gemma3ForCausalLM", dict(
        hidden_size=3840, num_attention_heads=16, num_key_value_heads=8, head_dim=256,
        intermediate_size=15360, vocab_size=262208, query_pre_attn_scalar=256, sliding_window=1024,
        rope_theta=1e6, hidden_activation="gelu_pytorch_tanh")),
    "deepseekv2": ("DeepseekV2Config", "DeepseekV2ForCausalLM", dict(
        hidden_size=2048, num_attention_heads=16, num_key_value_heads=16, intermediate_size=10944,
        moe_intermediate_size=1408, n_routed_experts=64, n_shared_experts=2, num_experts_per_tok=6,
        first_k_dense_replace=1, kv_lora_rank=512, q_lora_rank=None, qk_nope_head_dim=128,
        qk_rope_head_dim=64, v_head_dim=128, vocab_size=102400, topk_method="greedy",
        norm_topk_prob=False, tie_word_embeddings=False)),
}
HELD_OUT_LATER = ("gemma3", "deepseekv2")
EAGER_ONLY = {"gemma2"}
ALL_ARCHS = dict(ARCHS)  # --arch narrows ARCHS for arch and interleave; offload and quant use qwen2

LAUNCH_CALLS = {"cudaLaunchKernel", "cuLaunchKernel", "cuLaunchKernelEx", "cudaLaunchKernelExC",
                "cudaLaunchCooperativeKernel"}
COPY_CALLS = {"cudaMemcpyAsync", "cudaMemcpy", "cudaMemsetAsync"}


def tiny(kw):
    """Shrinks a geometry for a CPU smoke test (--tiny)."""
    kw = dict(kw)
    heads = 4
    kw.update(hidden_size=64, num_attention_heads=heads, vocab_size=512)
    kw["num_key_value_heads"] = min(kw.get("num_key_value_heads", heads), heads)
    if "head_dim" in kw:
        kw["head_dim"] = 16
    for k in ("intermediate_size", "moe_intermediate_size", "shared_expert_intermediate_size"):
        if k in kw:
            kw[k] = 96
    if "query_pre_attn_scalar" in kw:
        kw["query_pre_attn_scalar"] = 16
    for k, v in (("kv_lora_rank", 32), ("qk_nope_head_dim", 16), ("qk_rope_head_dim", 8), ("v_head_dim", 16),
                 ("n_routed_experts", 8), ("num_experts_per_tok", 2)):
        if k in kw:
            kw[k] = v
    kw["pad_token_id"] = 0
    return kw


def config_for(arch, layers):
    cfg_name, model_name, kw = ALL_ARCHS[arch]
    if TINY:
        kw = tiny(kw)
    cfg_cls = getattr(transformers, cfg_name)
    attn = "eager" if arch in EAGER_ONLY else "sdpa"
    cfg = cfg_cls(num_hidden_layers=layers, attn_implementation=attn, **kw)
    return cfg, getattr(transformers, model_name)


def build(model_cls, cfg, dtype=torch.bfloat16):
    return random_model(torch, model_cls, cfg, dtype, DEVICE)


def release():
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def prompt_for(batch=1, tokens=128):
    torch.manual_seed(1)
    return torch.randint(100, 500, (batch, tokens), device=DEVICE)


def parameter_bytes(model):
    return sum(p.numel() * p.element_size() for p in model.parameters())


def layer_bytes(model):
    layer = model.model.layers[0]
    return sum(p.numel() * p.element_size() for p in layer.parameters())


# ---------------------------------------------------------------------------------------------
# Kernel launches


def device_time_us(event):
    for attr in ("self_device_time_total", "self_cuda_time_total"):
        v = getattr(event, attr, None)
        if v is not None:
            return v
    return 0


def profile_generate(model, prompt, new_tokens, module_ranges=None):
    """Launch calls, copy calls and GPU busy time (kernels) over one generate; with module_ranges,
    launch calls inside each named record_function range."""
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if DEVICE == "cuda" else [])
    with profile(activities=acts) as prof:
        with torch.no_grad():
            model.generate(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
        if DEVICE == "cuda":
            torch.cuda.synchronize()
    events = list(prof.events())
    launches = [e for e in events if e.name in LAUNCH_CALLS]
    copies = sum(1 for e in events if e.name in COPY_CALLS)
    ops = sum(1 for e in events if e.name.startswith("aten::"))
    gpu_us = sum(device_time_us(e) for e in events if str(e.device_type).endswith("CUDA"))
    out = {"launches": len(launches), "copies": copies, "atenOps": ops, "gpuBusyMs": round(gpu_us / 1000, 4)}
    if module_ranges:
        per = {}
        for e in events:
            if e.name.startswith("module::"):
                start, end = e.time_range.start, e.time_range.end
                n = sum(1 for k in launches if start <= k.time_range.start <= end)
                per.setdefault(e.name[len("module::"):], []).append(n)
        out["launchesPerModuleCall"] = {k: statistics.median(v) for k, v in sorted(per.items())}
        spans = {}
        for e in events:
            if e.name.startswith("module::"):
                spans.setdefault(e.name[len("module::"):], []).append(
                    (e.time_range.end - e.time_range.start))
        out["hostUsPerModuleCall"] = {k: round(statistics.median(v), 2) for k, v in sorted(spans.items())}
    return out


def with_module_ranges(layer):
    """Wraps each direct child of `layer` in a record_function range named module::<child>."""
    handles = []
    for name, child in layer.named_children():
        label = f"module::{name}"
        state = {}

        def pre(mod, args, label=label, state=state):
            state["ctx"] = torch.profiler.record_function(label)
            state["ctx"].__enter__()

        def post(mod, args, out, state=state):
            state["ctx"].__exit__(None, None, None)

        handles.append(child.register_forward_pre_hook(pre))
        handles.append(child.register_forward_hook(post))
    return handles


def launches_per_step(model, prompt, steps=8):
    one = profile_generate(model, prompt, 1)
    many = profile_generate(model, prompt, 1 + steps)
    return {k: round((many[k] - one[k]) / steps, 3) for k in ("launches", "copies", "atenOps", "gpuBusyMs")}


def experts_impl(model):
    cfg = model.config
    return getattr(cfg, "_experts_implementation", None) or getattr(cfg, "experts_implementation", None)


# ---------------------------------------------------------------------------------------------
# Parts


def per_layer(entry):
    """The slope between the smallest and largest layer count of entry["byLayers"] (decode ms,
    launches and GPU busy time per layer), stored as entry["perLayer"]; False with fewer than two."""
    pts = entry["byLayers"]
    if len(pts) < 2:
        return False
    a, b = pts[0], pts[-1]
    dl = b["layers"] - a["layers"]
    entry["perLayer"] = {
        "msPerLayer": round((b["decode"]["msPerToken"] - a["decode"]["msPerToken"]) / dl, 4),
        "launchesPerLayer": round((b["launches"] - a["launches"]) / dl, 3),
        "gpuBusyMsPerLayer": round((b["gpuBusyMs"] - a["gpuBusyMs"]) / dl, 4),
    }
    return True


def part_arch(rec, deadline, layer_counts):
    R = rec.result.setdefault("architectures", {})
    for arch in ARCHS:
        if time.perf_counter() - START > deadline:
            rec.result.setdefault("skipped", []).append(f"arch {arch} (time)")
            continue
        entry = R.setdefault(arch, {"byLayers": []})
        for i, layers in enumerate(layer_counts):
            cfg, cls = config_for(arch, layers)
            try:
                model = build(cls, cfg)
                prompt = prompt_for()
                point = {"layers": layers, "parameterBytes": parameter_bytes(model),
                         "layerBytes": layer_bytes(model)}
                entry["attention"] = getattr(model.config, "_attn_implementation", None)
                entry["experts"] = experts_impl(model)
                entry["decoderLayerClass"] = type(model.model.layers[0]).__name__
                timed_generate(torch, model, prompt, 8)  # compile/lazy init outside the profiler
                point.update(launches_per_step(model, prompt))
                if i == 0:
                    handles = with_module_ranges(model.model.layers[0])
                    try:
                        mods = profile_generate(model, prompt, 1 + 4, module_ranges=True)
                        entry["launchesPerModuleCallLayer0"] = mods.get("launchesPerModuleCall", {})
                    finally:
                        for h in handles:
                            h.remove()
                point["decode"] = robust_decode(
                    torch, model, prompt, new_tokens=8 if TINY else 32, repeats=3,
                    min_rounds=2 if TINY else 5, max_rounds=3 if TINY else 9, max_warmup=3 if TINY else 8,
                    time_budget=30)
                log(f"{arch} {layers} layers: {point['decode']['msPerToken']} ms/token "
                    f"(spread {point['decode']['spread']}), {point['launches']} launches/step, "
                    f"GPU busy {point['gpuBusyMs']} ms/step")
                entry["byLayers"].append(point)
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                entry.setdefault("errors", []).append(f"{layers} layers: {type(e).__name__}: {e}"[:1500])
            finally:
                model = None
                release()
            rec.save()
        if per_layer(entry):
            log(f"{arch}: {entry['perLayer']}")
        rec.save()


def part_launches(rec, deadline, layer_counts):
    """Kernel launches per decode step of every architecture in ARCHS at each layer count (no timing):
    the slope is the launches per decoder layer."""
    R = rec.result.setdefault("launches", {})
    for arch in ARCHS:
        if time.perf_counter() - START > deadline:
            rec.result.setdefault("skipped", []).append(f"launches {arch} (time)")
            continue
        entry = R.setdefault(arch, {"byLayers": []})
        for layers in layer_counts:
            cfg, cls = config_for(arch, layers)
            model = None
            try:
                model = build(cls, cfg)
                prompt = prompt_for()
                timed_generate(torch, model, prompt, 8)
                point = {"layers": layers}
                point.update(launches_per_step(model, prompt))
                entry["decoderLayerClass"] = type(model.model.layers[-1]).__name__
                entry["experts"] = experts_impl(model)
                entry["byLayers"].append(point)
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                entry.setdefault("errors", []).append(f"{layers} layers: {type(e).__name__}: {e}"[:1500])
            finally:
                model = None
                release()
        pts = entry["byLayers"]
        if len(pts) >= 2:
            dl = pts[-1]["layers"] - pts[0]["layers"]
            entry["launchesPerLayer"] = round((pts[-1]["launches"] - pts[0]["launches"]) / dl, 3)
            entry["atenOpsPerLayer"] = round((pts[-1]["atenOps"] - pts[0]["atenOps"]) / dl, 3)
            log(f"launches {arch}: {entry['launchesPerLayer']} a layer, {entry['atenOpsPerLayer']} aten ops")
        rec.save()


def part_interleave(rec, deadline, layer_counts, sweeps=16, warmup_sweeps=2, budget=200):
    """Every architecture at every layer count resident at once, one round each in turn, sweep after
    sweep: drift of the host then moves all of them alike, and each sweep gives one slope per
    architecture (its per-layer time). Reports per configuration the rounds, median and minimum,
    and per architecture the slope of every sweep, their median and p10-p90."""
    from decode_rounds import one_round
    out = rec.result.setdefault("interleaved", {"layerCounts": layer_counts, "configs": {}, "slopes": {}})
    models = {}
    for arch in ARCHS:
        for layers in layer_counts:
            cfg, cls = config_for(arch, layers)
            try:
                m = build(cls, cfg)
                timed_generate(torch, m, prompt_for(), 4)
                models[(arch, layers)] = m
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                out.setdefault("errors", []).append(f"{arch} {layers}: {type(e).__name__}: {e}"[:800])
    log(f"interleave: {len(models)} models resident, {torch.cuda.memory_allocated() / 2**30:.1f} GiB")
    prompt = prompt_for()
    rounds = {k: [] for k in models}
    t0 = time.perf_counter()
    done = 0
    for sweep in range(sweeps + warmup_sweeps):
        if sweep >= warmup_sweeps + 5 and (time.perf_counter() - t0 > budget
                                           or time.perf_counter() - START > deadline):
            break
        for key, m in models.items():
            r = one_round(torch, m, prompt, 32, 2)
            if sweep >= warmup_sweeps:
                rounds[key].append(round(r, 4))
        done = sweep + 1
    out["sweeps"] = done - warmup_sweeps
    out["warmupSweeps"] = warmup_sweeps
    for (arch, layers), rs in rounds.items():
        out["configs"][f"{arch}-{layers}"] = {"rounds": rs, "median": round(statistics.median(rs), 4),
                                               "min": min(rs)}
    lo, hi = min(layer_counts), max(layer_counts)
    for arch in ARCHS:
        a, b = rounds.get((arch, lo)), rounds.get((arch, hi))
        if not a or not b:
            continue
        slopes = sorted((y - x) / (hi - lo) for x, y in zip(a, b))
        n = len(slopes)
        out["slopes"][arch] = {"msPerLayerBySweep": [round(s, 4) for s in slopes],
                               "median": round(statistics.median(slopes), 4),
                               "p10": round(slopes[int(0.1 * (n - 1))], 4),
                               "p90": round(slopes[int(round(0.9 * (n - 1)))], 4),
                               "ofMinima": round((min(b) - min(a)) / (hi - lo), 4)}
        log(f"interleaved {arch}: {out['slopes'][arch]}")
    models = None
    release()
    rec.save()


def part_vision(rec, deadline, counts=(9, 27)):
    from transformers import SiglipVisionConfig, SiglipVisionModel
    out = rec.result.setdefault("vision", {"model": "SigLIP-so400m, 448 px, 1 slice, bf16, sdpa", "byBlocks": []})
    for blocks in counts:
        kw = dict(hidden_size=1152, intermediate_size=4304, num_attention_heads=16, patch_size=14,
                  image_size=448, num_channels=3)
        if TINY:
            kw.update(hidden_size=64, intermediate_size=96, num_attention_heads=4, image_size=56)
        cfg = SiglipVisionConfig(num_hidden_layers=blocks, attn_implementation="sdpa", **kw)
        cfg.vision_use_head = False
        model = build(SiglipVisionModel, cfg)
        x = torch.randn(1, 3, kw["image_size"], kw["image_size"], device=DEVICE, dtype=torch.bfloat16)

        def once():
            if DEVICE == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            with torch.no_grad():
                model(pixel_values=x)
            if DEVICE == "cuda":
                torch.cuda.synchronize()
            return (time.perf_counter() - t) * 1000

        for _ in range(10):
            once()
        rounds = [statistics.median([once() for _ in range(10)]) for _ in range(7)]
        from torch.profiler import ProfilerActivity, profile
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if DEVICE == "cuda" else [])
        with profile(activities=acts) as prof:
            once()
        events = list(prof.events())
        launches = sum(1 for e in events if e.name in LAUNCH_CALLS)
        gpu_us = sum(device_time_us(e) for e in events if str(e.device_type).endswith("CUDA"))
        point = {"blocks": blocks, "ms": round(statistics.median(rounds), 4), "rounds": [round(r, 4) for r in rounds],
                 "spread": round((max(rounds) - min(rounds)) / statistics.median(rounds), 4),
                 "launches": launches, "gpuBusyMs": round(gpu_us / 1000, 4)}
        log(f"vision {blocks} blocks: {point}")
        out["byBlocks"].append(point)
        model = None
        release()
        rec.save()
    a, b = out["byBlocks"][0], out["byBlocks"][-1]
    db = b["blocks"] - a["blocks"]
    out["perBlock"] = {"msPerBlock": round((b["ms"] - a["ms"]) / db, 4),
                       "launchesPerBlock": round((b["launches"] - a["launches"]) / db, 3),
                       "gpuBusyMsPerBlock": round((b["gpuBusyMs"] - a["gpuBusyMs"]) / db, 4)}
    rec.save()


def copy_rates(nbytes):
    """Host-to-device copy of `nbytes` from pageable and from pinned memory, GB/s (median of 5)."""
    out = {}
    n = nbytes // 2
    for label, pin in (("pageable", False), ("pinned", True)):
        src = torch.empty(n, dtype=torch.bfloat16, pin_memory=pin)
        src.fill_(1)
        times = []
        for _ in range(6):
            torch.cuda.synchronize()
            t = time.perf_counter()
            dst = src.to("cuda", non_blocking=pin)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
            del dst
        m = statistics.median(times[1:])
        out[label] = {"GBps": round(nbytes / m / 1e9, 3), "ms": round(m * 1000, 3)}
        del src
    return out


OFFLOAD_POINTS = (("none", 0), ("cpu", 1), ("cpu", 2), ("disk", 1))
# --part offload2: points out of the sample the rate was fitted to (Qwen2-7B, one layer): two and four
# Qwen2-7B layers, and Llama-3-8B's geometry at one and three.
OFFLOAD2_POINTS = (("qwen2", 0), ("qwen2", 2), ("qwen2", 4), ("llama", 0), ("llama", 1), ("llama", 3))


def offload_map(layers, offloaded, where):
    dm = {"model.embed_tokens": 0, "model.norm": 0, "model.rotary_emb": 0, "lm_head": 0}
    for i in range(layers):
        dm[f"model.layers.{i}"] = where if i >= layers - offloaded else 0
    return dm


def offload_implied_rates(points, key):
    """msPerOffloadedLayer and impliedGBps of every offloaded point against the point of the same
    `key` (architecture) with none offloaded."""
    for p in points:
        base = next((b for b in points if b.get(key) == p.get(key) and b["offloadedLayers"] == 0), None)
        if base and p["offloadedLayers"]:
            extra = (p["decode"]["msPerToken"] - base["decode"]["msPerToken"]) / p["offloadedLayers"]
            p["msPerOffloadedLayer"] = round(extra, 3)
            p["impliedGBps"] = round(p["layerBytes"] / (extra / 1000) / 1e9, 3) if extra > 0 else None


def part_offload(rec, deadline, layers=8):
    from accelerate import dispatch_model
    out = rec.result.setdefault("offload", {"model": f"Qwen2-7B geometry, {layers} layers, bf16, sdpa",
                                            "points": []})
    cfg, cls = config_for("qwen2", layers)
    probe = build(cls, cfg)
    lb = layer_bytes(probe)
    out["layerBytes"] = lb
    probe = None
    release()
    out["copyRates"] = copy_rates(lb)
    log("copy rates", out["copyRates"])
    rec.save()
    offdir = tempfile.mkdtemp(prefix="offload-")
    global DEVICE
    for where, k in OFFLOAD_POINTS:
        if time.perf_counter() - START > deadline:
            out.setdefault("skipped", []).append(f"{where} {k} (time)")
            continue
        # Built on the CPU, as from_pretrained loads it: dispatch_model then moves the GPU entries to
        # the GPU and leaves the offloaded ones' weights in (pageable) host memory, or writes them to
        # offload_dir for "disk". (A model built on the GPU keeps its offloaded weights on the GPU.)
        DEVICE = "cpu"
        try:
            model = build(cls, cfg)
        finally:
            DEVICE = "cuda"
        try:
            dispatch_model(model, device_map=offload_map(layers, k, where), main_device=0,
                           offload_dir=offdir if where == "disk" else None, force_hooks=True)
            if where == "disk":
                # Reading back from the page cache is not reading from disk: try to drop it.
                out["dropCaches"] = os.system("sync; echo 3 > /proc/sys/vm/drop_caches") == 0
            held = {str(p.device) for n, p in model.named_parameters() if ".layers." in n}
            prompt = prompt_for()
            d = robust_decode(torch, model, prompt, new_tokens=8, repeats=2, min_rounds=3, max_rounds=4,
                              max_warmup=3, time_budget=40)
            point = {"arch": "qwen2", "where": where, "offloadedLayers": k, "decode": d,
                     "layerParameterDevices": sorted(held), "layerBytes": lb}
            log(f"offload {where} {k}: {d['msPerToken']} ms/token (spread {d['spread']}), params on {held}")
            out["points"].append(point)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            out.setdefault("errors", []).append(f"{where} {k}: {type(e).__name__}: {e}"[:1500])
        finally:
            model = None
            release()
        rec.save()
    offload_implied_rates(out["points"], "arch")
    rec.save()


def part_offload2(rec, deadline, layers=8):
    """CPU offload by accelerate's dispatch_model at points the 4.95 GB/s rate was not fitted to.

    Built on the GPU (seconds, where building on the CPU took 140 s a model), then the offloaded layers
    are moved to the CPU before dispatch_model, so their weights sit in pageable host memory exactly as
    from_pretrained's CPU entries do (dispatch_model's weights map is the CPU state dict); every decode
    step copies them in through the hooks. `layerParameterDevices` records where the layers' parameters
    are after dispatch (the offloaded ones on `meta`, loaded from the weights map per forward)."""
    from accelerate import dispatch_model
    out = rec.result.setdefault("offload2", {"layers": layers, "points": []})
    for arch, k in OFFLOAD2_POINTS:
        if time.perf_counter() - START > deadline:
            out.setdefault("skipped", []).append(f"{arch} {k} (time)")
            continue
        cfg, cls = config_for(arch, layers)
        model = None
        try:
            model = build(cls, cfg)
            lb = layer_bytes(model)
            for i in range(layers - k, layers):
                model.model.layers[i].to("cpu")
            release()
            dispatch_model(model, device_map=offload_map(layers, k, "cpu"), main_device=0, force_hooks=True)
            weights_map = [str(p.device) for n, p in model.named_parameters() if ".layers." in n]
            prompt = prompt_for()
            d = robust_decode(torch, model, prompt, new_tokens=4 if k else 16, repeats=1 if k else 2,
                              min_rounds=3, max_rounds=5, max_warmup=3, time_budget=25)
            point = {"arch": arch, "offloadedLayers": k, "decode": d, "layerBytes": lb,
                     "layerParameterDevices": sorted(set(weights_map)),
                     "gpuAllocatedBytes": torch.cuda.memory_allocated()}
            log(f"offload2 {arch} {k}: {d['msPerToken']} ms/token (spread {d['spread']}), "
                f"params on {sorted(set(weights_map))}, GPU {torch.cuda.memory_allocated() / 2**30:.2f} GiB")
            out["points"].append(point)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            out.setdefault("errors", []).append(f"{arch} {k}: {type(e).__name__}: {e}"[:1500])
        finally:
            model = None
            release()
        rec.save()
    offload_implied_rates(out["points"], "arch")
    rec.save()


# ---------------------------------------------------------------------------------------------
# --part graphs: decode steps replayed from a CUDA graph (no host time), MoE against dense.

GRAPH_CONFIGS = (("mixtral", (2, 6)), ("qwen3moe", (4, 12)), ("llama", (2, 6)))
GRAPH_BATCHES = (1, 4, 16)


def make_static_cache(cfg, length):
    from transformers import StaticCache
    try:
        return StaticCache(config=cfg, max_cache_len=length)
    except TypeError:
        return StaticCache(config=cfg, max_batch_size=1, max_cache_len=length)


class StaticDecode:
    """One decode step of `model` for `batch` sequences with `prompt_tokens` random tokens prefilled
    into a static cache of `prompt_tokens + headroom` positions.

    transformers 5's StaticCache keeps its write position in a device tensor per layer
    (`cumulative_length`) that every forward advances, a captured graph's replays included: `rewind`
    sets it back to the prompt's length, so every step writes position `prompt_tokens` and attends
    over the whole static cache (sdpa reads every cached position, masked or not). Call it before
    every series of steps."""

    def __init__(self, model, batch, prompt_tokens=128, headroom=256):
        self.model, self.prompt_tokens = model, prompt_tokens
        cfg = model.config
        self.cache_tokens = prompt_tokens + headroom
        self.cache = make_static_cache(cfg, self.cache_tokens)
        torch.manual_seed(2)
        top = min(30000, cfg.vocab_size)
        prompt = torch.randint(100, top, (batch, prompt_tokens), device=DEVICE)
        with torch.no_grad():
            model(input_ids=prompt, past_key_values=self.cache, use_cache=True,
                  cache_position=torch.arange(prompt_tokens, device=DEVICE))
        self.ids = torch.randint(100, top, (batch, 1), device=DEVICE)
        self.pos = torch.tensor([prompt_tokens], device=DEVICE)

    def rewind(self):
        for layer in getattr(self.cache, "layers", []):
            position = getattr(layer, "cumulative_length", None)
            if isinstance(position, torch.Tensor):
                position.fill_(self.prompt_tokens)

    def step(self):
        return self.model(input_ids=self.ids, past_key_values=self.cache, use_cache=True,
                          cache_position=self.pos).logits


def event_ms(fn, rounds, calls, before=None):
    """Milliseconds per call of `fn` on the GPU, one sample per round (`calls` calls between two
    CUDA events, after `before()`), sorted."""
    times = []
    for _ in range(rounds):
        if before is not None:
            before()
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(calls):
            fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / calls)
    return sorted(times)


def graph_step(model, batch, prompt_tokens=128, replays=16, rounds=9):
    """Median milliseconds of one decode step (batch `batch`, `prompt_tokens` in the cache) replayed
    from a CUDA graph, every round `replays` replays between two CUDA events; the distinct experts
    each MoE layer's tokens were routed to (where the model has routed experts)."""
    decode = StaticDecode(model, batch, prompt_tokens)
    rewind, step = decode.rewind, decode.step
    routed = []
    hooks = []
    for layer in model.model.layers:
        experts = getattr(getattr(layer, "mlp", None), "experts", None)
        if experts is not None and not isinstance(experts, torch.nn.ModuleList):
            hooks.append(experts.register_forward_pre_hook(
                lambda mod, args: routed.append(int(torch.unique(args[1]).numel()))))

    with torch.no_grad():
        rewind()
        step()  # eager, with the routing hooks
        for h in hooks:
            h.remove()
        out = {"batch": batch, "cacheTokens": decode.cache_tokens}
        if routed:
            out["distinctExpertsPerLayer"] = routed
            out["distinctExpertsMean"] = round(statistics.mean(routed), 3)
        if DEVICE != "cuda":
            t = time.perf_counter()
            step()
            out["eagerMs"] = round((time.perf_counter() - t) * 1000, 4)
            return out
        # The GPU's busy time of an eager step (kernel durations from torch.profiler): the graph's
        # time without the gaps between kernels, and the measurement should the capture fail.
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            for _ in range(5):
                rewind()
                step()
            torch.cuda.synchronize()
        kernels = [e for e in prof.events() if str(e.device_type).endswith("CUDA")]
        out["kernelBusyMs"] = round(sum(device_time_us(e) for e in kernels) / 5 / 1000, 4)
        out["kernelsPerStep"] = len(kernels) / 5
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                rewind()
                step()
        torch.cuda.current_stream().wait_stream(side)
        rewind()
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                step()
        except Exception as e:  # noqa: BLE001
            out["graphError"] = f"{type(e).__name__}: {e}"[:800]
            return out
        for _ in range(20):
            rewind()
            graph.replay()
        torch.cuda.synchronize()
        times = event_ms(graph.replay, rounds, replays, before=rewind)
        # The same step eager, for the host's share.
        eager = []
        for _ in range(5):
            torch.cuda.synchronize()
            rewind()
            t = time.perf_counter()
            for _ in range(5):
                step()
            torch.cuda.synchronize()
            eager.append((time.perf_counter() - t) / 5 * 1000)
    out.update({"graphMs": round(statistics.median(times), 4), "graphMsMin": round(times[0], 4),
                "graphMsMax": round(times[-1], 4), "eagerMs": round(statistics.median(eager), 4),
                "replaysPerRound": replays, "rounds": len(times)})
    del graph
    return out


def read_bandwidth():
    """Bytes per second a large bf16 reduction reads (the achievable read rate, beside the datasheet)."""
    x = torch.ones(4 << 30, dtype=torch.bfloat16, device=DEVICE)  # 8 GiB
    x.sum()
    torch.cuda.synchronize()
    times = [ms / 1000 for ms in event_ms(x.sum, 7, 1)]
    nbytes = x.numel() * 2
    del x
    release()
    return {"bytes": nbytes, "GBps": round(nbytes / statistics.median(times) / 1e9, 1)}


def part_graphs(rec, deadline):
    out = rec.result.setdefault("graphs", {"promptTokens": 128, "configs": {}})
    if DEVICE == "cuda":
        out["readBandwidth"] = read_bandwidth()
        log("read bandwidth", out["readBandwidth"])
    for arch, counts in GRAPH_CONFIGS:
        for layers in counts:
            key = f"{arch}-{layers}"
            if time.perf_counter() - START > deadline:
                out.setdefault("skipped", []).append(f"{key} (time)")
                continue
            cfg, cls = config_for(arch, layers)
            model = None
            try:
                model = build(cls, cfg)
                entry = out["configs"].setdefault(key, {"arch": arch, "layers": layers,
                                                        "parameterBytes": parameter_bytes(model),
                                                        "experts": experts_impl(model), "byBatch": []})
                for batch in GRAPH_BATCHES:
                    try:
                        point = graph_step(model, batch)
                        entry["byBatch"].append(point)
                        log(f"graphs {key} batch {batch}: {point}")
                    except Exception as e:  # noqa: BLE001
                        traceback.print_exc()
                        entry.setdefault("errors", []).append(f"batch {batch}: {type(e).__name__}: {e}"[:1500])
                    rec.save()
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                out.setdefault("errors", []).append(f"{key}: {type(e).__name__}: {e}"[:1500])
            finally:
                model = None
                release()
            rec.save()


def kernel_table(model, batch, prompt_tokens=128, steps=5):
    """Every GPU kernel of one eager decode step (static cache, as graph_step sets it up), by name:
    launches and microseconds per step, the longest first."""
    from torch.profiler import ProfilerActivity, profile
    decode = StaticDecode(model, batch, prompt_tokens, headroom=64)

    def sync():
        if DEVICE == "cuda":
            torch.cuda.synchronize()

    with torch.no_grad():
        for _ in range(3):
            decode.rewind()
            decode.step()
        sync()
        with profile(activities=[ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if DEVICE == "cuda" else [])) as prof:
            for _ in range(steps):
                decode.rewind()
                decode.step()
            sync()
    table = {}
    for e in prof.events():
        if str(e.device_type).endswith("CUDA"):
            row = table.setdefault(e.name[:160], [0, 0.0])
            row[0] += 1
            row[1] += device_time_us(e)
    rows = sorted(table.items(), key=lambda kv: -kv[1][1])
    return [{"kernel": k, "perStep": round(n / steps, 2), "usPerStep": round(us / steps, 2)} for k, (n, us) in rows]


def part_kernels(rec, deadline):
    """Kernel by kernel, where a decode step's GPU time goes: Mixtral-8x7B and Qwen3-30B-A3B geometry
    (2 and 4 layers) and Llama-3-8B (2 layers) at batch 1, 4 and 16."""
    out = rec.result.setdefault("kernels", {"promptTokens": 128, "configs": {}})
    for arch, layers in (("mixtral", 2), ("qwen3moe", 4), ("llama", 2)):
        key = f"{arch}-{layers}"
        if time.perf_counter() - START > deadline:
            out.setdefault("skipped", []).append(f"{key} (time)")
            continue
        cfg, cls = config_for(arch, layers)
        model = None
        try:
            model = build(cls, cfg)
            entry = out["configs"].setdefault(key, {"arch": arch, "layers": layers, "byBatch": {}})
            for batch in GRAPH_BATCHES:
                entry["byBatch"][str(batch)] = kernel_table(model, batch)
                log(f"kernels {key} batch {batch}: {entry['byBatch'][str(batch)][:3]}")
                rec.save()
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            out.setdefault("errors", []).append(f"{key}: {type(e).__name__}: {e}"[:1500])
        finally:
            model = None
            release()
        rec.save()


def part_modules(rec, deadline, archs=("llama", "qwen2", "phi3", "qwen3")):
    """Where a decoder layer's host time goes, child module by child module (attention, MLP, norms):
    the launches inside each child's forward and its wall time on the host (torch.profiler ranges,
    so inflated alike for every architecture), median over the calls of a short generate, for the
    architectures Phi-3 is compared with."""
    out = rec.result.setdefault("modules", {})
    for arch in archs:
        if time.perf_counter() - START > deadline:
            out.setdefault("skipped", []).append(f"{arch} (time)")
            continue
        cfg, cls = config_for(arch, 2)
        model = None
        try:
            model = build(cls, cfg)
            prompt = prompt_for()
            timed_generate(torch, model, prompt, 8)
            entry = {}
            for layer_index in (0, 1):
                # The layer's children, and the layers themselves as children of their ModuleList
                # (module::0, module::1): the layer's own body is its time less its children's.
                handles = with_module_ranges(model.model.layers[layer_index]) + with_module_ranges(
                    model.model.layers)
                try:
                    got = profile_generate(model, prompt, 1 + 16, module_ranges=True)
                finally:
                    for h in handles:
                        h.remove()
                entry[f"layer{layer_index}"] = {"launchesPerModuleCall": got.get("launchesPerModuleCall", {}),
                                                "hostUsPerModuleCall": got.get("hostUsPerModuleCall", {})}
            out[arch] = entry
            log(f"modules {arch}: {entry['layer1']}")
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            out.setdefault("errors", []).append(f"{arch}: {type(e).__name__}: {e}"[:1500])
        finally:
            model = None
            release()
        rec.save()


# ---------------------------------------------------------------------------------------------
# --part fp8mm: the linear layers of a Qwen2-7B decoder layer as bf16 matmuls and as fp8 (e4m3,
# per-tensor scales) torch._scaled_mm, replayed from CUDA graphs: what fp8 weights save per step.

FP8_SHAPES = (("qkv", 3584, 3584 + 2 * 512), ("o", 3584, 3584), ("gate_up", 3584, 2 * 18944),
              ("down", 18944, 3584))


def part_fp8mm(rec, deadline):
    out = rec.result.setdefault("fp8mm", {"shapes": {}})
    if DEVICE != "cuda":
        out["skipped"] = "no GPU"
        return
    for m in (16, 1):
        for name, k, n in FP8_SHAPES:
            key = f"{name}-m{m}"
            try:
                w = torch.randn(n, k, device=DEVICE, dtype=torch.bfloat16)
                x = torch.randn(m, k, device=DEVICE, dtype=torch.bfloat16)
                w8 = w.to(torch.float8_e4m3fn)
                x8 = x.to(torch.float8_e4m3fn)
                one = torch.ones((), device=DEVICE)
                res = {"k": k, "n": n, "m": m}
                for label, fn, nbytes in (
                        ("bf16", lambda: x @ w.t(), w.numel() * 2),
                        ("fp8", lambda: torch._scaled_mm(x8, w8.t(), scale_a=one, scale_b=one,
                                                          out_dtype=torch.bfloat16), w.numel())):
                    try:
                        fn()
                        torch.cuda.synchronize()
                        g = torch.cuda.CUDAGraph()
                        with torch.cuda.graph(g):
                            for _ in range(20):
                                fn()
                        g.replay()
                        torch.cuda.synchronize()
                        t = statistics.median(event_ms(g.replay, 9, 1)) / 20
                        res[label] = {"us": round(t * 1000, 2), "GBps": round(nbytes / (t / 1000) / 1e9, 1)}
                    except Exception as e:  # noqa: BLE001
                        res[label] = {"error": f"{type(e).__name__}: {e}"[:300]}
                out["shapes"][key] = res
                log(f"fp8mm {key}: {res}")
            except Exception as e:  # noqa: BLE001
                out.setdefault("errors", []).append(f"{key}: {type(e).__name__}: {e}"[:800])
            finally:
                release()
        rec.save()


def part_quant(rec, deadline, counts=(2, 8)):
    out = rec.result.setdefault("quant", {"model": "Qwen2-7B geometry, batch 1, sdpa", "methods": {}})
    try:
        import bitsandbytes
        out["bitsandbytes"] = bitsandbytes.__version__
    except Exception as e:  # noqa: BLE001
        out["bitsandbytes"] = f"not importable: {e}"
    ckpt = tempfile.mkdtemp(prefix="qwen2-ckpt-")
    cfg, cls = config_for("qwen2", max(counts))
    model = build(cls, cfg)
    model.save_pretrained(ckpt)
    model = None
    release()
    log("saved", ckpt)
    methods = [("bf16", None)]
    try:
        from transformers import BitsAndBytesConfig
        methods += [("bnb-int8", BitsAndBytesConfig(load_in_8bit=True)),
                    ("bnb-nf4", BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                   bnb_4bit_compute_dtype=torch.bfloat16))]
    except Exception as e:  # noqa: BLE001
        out["bnbConfigError"] = str(e)
    try:
        from transformers import FineGrainedFP8Config
        methods.append(("fp8-block128", FineGrainedFP8Config()))
    except Exception as e:  # noqa: BLE001
        out["fp8ConfigError"] = str(e)
    for name, qc in methods:
        entry = out["methods"].setdefault(name, {"byLayers": []})
        for layers in counts:
            if time.perf_counter() - START > deadline:
                entry.setdefault("skipped", []).append(f"{layers} (time)")
                continue
            try:
                kw = {"dtype": torch.bfloat16, "device_map": {"": 0}, "num_hidden_layers": layers}
                if qc is not None:
                    kw["quantization_config"] = qc
                model = cls.from_pretrained(ckpt, **kw)
                model.eval()
                model.generation_config.pad_token_id = 0
                prompt = prompt_for()
                point = {"layers": layers, "memoryAllocated": torch.cuda.memory_allocated()}
                point.update(launches_per_step(model, prompt))
                point["decode"] = robust_decode(torch, model, prompt, new_tokens=32, repeats=2, min_rounds=5,
                                                max_rounds=7, max_warmup=5, time_budget=15)
                log(f"quant {name} {layers}: {point['decode']['msPerToken']} ms/token, "
                    f"{point['launches']} launches, GPU {point['gpuBusyMs']} ms")
                entry["byLayers"].append(point)
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                entry.setdefault("errors", []).append(f"{layers}: {type(e).__name__}: {e}"[:1500])
            finally:
                model = None
                release()
            rec.save()
        if per_layer(entry):
            log(f"quant {name}: {entry['perLayer']}")
        rec.save()


# ---------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self, path, result):
        self.path, self.result = path, result

    def save(self):
        self.result["elapsedSeconds"] = round(time.perf_counter() - START, 1)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.result, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.path)


def environment():
    import accelerate
    env = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
           "transformers": transformers.__version__, "accelerate": accelerate.__version__,
           "cpuCores": os.cpu_count(), "device": DEVICE}
    try:
        with open("/proc/cpuinfo") as f:
            env["cpu"] = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), None)
    except OSError:
        pass
    if DEVICE == "cuda":
        env["gpu"] = torch.cuda.get_device_name(0)
    return env


def main():
    global TINY, DEVICE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", nargs="+", choices=("arch", "interleave", "vision", "offload", "offload2", "graphs", "kernels", "modules", "launches", "fp8mm", "quant"),
                    required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--deadline", type=float, default=540, help="seconds after which no new section starts")
    ap.add_argument("--layers", type=int, nargs="+", default=[4, 12])
    ap.add_argument("--sweeps", type=int, default=16, help="with --part interleave: sweeps after warm-up")
    ap.add_argument("--arch", nargs="+", choices=list(ARCHS), help="only these architectures")
    ap.add_argument("--tiny", action="store_true", help="tiny shapes on the CPU: a smoke test of the script")
    args = ap.parse_args()
    TINY = args.tiny
    DEVICE = "cpu" if args.tiny else "cuda"
    if args.arch:
        for k in list(ARCHS):
            if k not in args.arch:
                del ARCHS[k]
    rec = Recorder(args.out, {"script": "Scripts/measure_host_cost.py", "argv": sys.argv[1:],
                              "environment": environment(),
                              "geometries": {k: {"config": v[0], "model": v[1], "kwargs": v[2]}
                                             for k, v in ALL_ARCHS.items()}})
    rec.save()
    for part in args.part:
        log(f"== {part}")
        try:
            if part == "arch":
                part_arch(rec, args.deadline, args.layers)
            elif part == "interleave":
                part_interleave(rec, args.deadline, args.layers, sweeps=args.sweeps)
            elif part == "vision":
                part_vision(rec, args.deadline)
            elif part == "offload":
                part_offload(rec, args.deadline)
            elif part == "offload2":
                part_offload2(rec, args.deadline)
            elif part == "graphs":
                part_graphs(rec, args.deadline)
            elif part == "launches":
                part_launches(rec, args.deadline, args.layers)
            elif part == "modules":
                part_modules(rec, args.deadline)
            elif part == "kernels":
                part_kernels(rec, args.deadline)
            elif part == "fp8mm":
                part_fp8mm(rec, args.deadline)
            elif part == "quant":
                part_quant(rec, args.deadline)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            rec.result.setdefault("errors", {})[part] = f"{type(e).__name__}: {e}"[:2000]
        rec.save()
    log("done")


if __name__ == "__main__":
    main()

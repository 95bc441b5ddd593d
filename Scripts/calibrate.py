#!/usr/bin/env python3
"""Calibration measurements for the planner's memory and cost models, on real GPUs.

Random weights (nothing downloaded): models are built from configs directly on the GPU. Three parts, and a
fit that needs no GPU:

  --part single  (one GPU)
    weights     bytes allocated after building (torch.cuda.memory_allocated) vs parameter bytes, for
                Qwen2-7B geometry (MiniCPM-V 2.6's LLM, vocab 151666) in bf16, fp16 and fp32, Llama-3-8B
                geometry in bf16 and the SigLIP-so400m vision tower (448 px, no pooling head) in bf16
    decode      eager transformers `generate` decode ms/token, Qwen2-7B bf16 sdpa, prompt 512,
                (t(1 + 128 new) - t(1 new)) / 128, 2 warm-ups, median of 7, whole thing repeated 3 times,
                at batch 1 and batch 8
    peakGrid    peak allocated during `generate` (prompt of `context` tokens, 8 new tokens) minus the
                weights, batch 1/4/16/32 x context 128/1024/4096/16384, sdpa; eager at batch 1 x 1024/4096
    prefill     one forward of batch 1 x 512/2048/4096 tokens with a KV cache and logits_to_keep=1 (what
                `generate`'s first step does), 2 warm-ups, median of 5
    floor       one decode step as matrix-vector products over every linear weight (28 layers x
                q,k,v,o,gate,up,down, plus lm_head; x @ W.T, no bias) captured in a CUDA graph, median
                replay time and weight bytes / time; at batch 1 and 8, also without the graph
    vision      SigLIP-so400m forward ms and peak memory above weights, 1/4/10/16 slices of 448x448

  --part multi  (two GPUs)
    decode      the same decode measurement with the model on one GPU, then with accelerate hooks on one
                GPU (dispatch_model, every block on GPU 0, force_hooks), then split across the two GPUs by
                infer_auto_device_map with max_memory forcing a split near the middle + dispatch_model
    hop         cuda:0 -> cuda:1 copy of a (1, 1, 3584) and a (1, 4096, 3584) bf16 tensor, host-timed
                with both devices synchronised, median of 1000, with Tensor.to and accelerate's
                send_to_device, and the synchronisation alone

  --part split-sweep  (two GPUs)
    where a split map's time goes: the batch-1 decode above on one GPU, with accelerate's hooks on one
    GPU, and over explicit two-GPU maps split after 7, 14 and 21 layers (rotary_emb on GPU 0, and on
    GPU 1 as infer_auto_device_map puts it), the configurations interleaved round by round; per decode
    step, the CUDA API calls and GPU copies torch.profiler counts and the tensors accelerate's hooks
    move across devices; and the host time of send_to_device of one layer's inputs across and within
    a GPU (layerInputsCopy, which --fit-profile turns into hostSecondsPerMovedInput)

  --part profile  (one GPU; a hop too where there are two)
    what a host profile needs and nothing more: the batch-1 decode with 28, 14 and 7 layers
    (--layers), each warmed up until three consecutive rounds agree within 5% and then at least 5
    rounds (Scripts/decode_rounds.py; the spread is recorded, and a host whose rounds spread more
    than 10% or never settle is refused by --fit-profile as too noisy), the first with accelerate's
    hooks (decodeOneGpuWithHooks), and the hop; then it
    fits the profile (below) to what it measured and writes it to --profile-out

  --fit-profile RAW.json [RAW2.json ...]  (no GPU, no torch: runs offline on any machine)
    fits the planner's host profile (`planner --profile FILE`) to raw files of this script or of
    measure_decode.py from one machine. It inverts the planner's cost model for batch-1 decode on one
    GPU (layers x max(host time, GPU time of a layer) + GPU time outside the layers + host time per
    step): with two layer counts, the slope is hostSecondsPerLayer and the intercept less the GPU's
    lm_head/norm/embedding reads is hostSecondsPerStep; with one, hostSecondsPerStep keeps the
    base 0.50 ms and hostSecondsPerLayer is the rest of the step over the layers. Hooks minus no
    hooks over the map's entries is hostSecondsPerDispatchedLayer; the send_to_device hop is
    hostSecondsPerHop; a split sweep's copy of a layer's inputs across GPUs less within one, per
    tensor, is hostSecondsPerMovedInput. Batch 8 and split maps are not fitted (listed in the notes
    as held out).
    fit_profile() has the details

Usage (on the GPU machine):

    python3 Scripts/calibrate.py --part single --out calibration-h100.json
    python3 Scripts/calibrate.py --part multi  --out calibration-h200x2.json
    python3 Scripts/calibrate.py --part split-sweep --out split-sweep-h200x2.json --deadline 370
    python3 Scripts/calibrate.py --part profile --out raw-profile.json --profile-out my-host.json

and anywhere:

    python3 Scripts/calibrate.py --fit-profile fixtures/measurements/calibration-h200x2.json --out h200.json

The JSON is rewritten after every section, so a run cut short keeps what it measured. Bytes are
integers; times are milliseconds (medians with the raw samples).
"""

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback

# torch and transformers are imported by import_torch() when a part measures: --fit-profile runs
# without them, offline, on any machine.
torch = F = transformers = None
LlamaConfig = LlamaForCausalLM = Qwen2Config = Qwen2ForCausalLM = None

START = time.perf_counter()
DTYPES = {}


def import_torch():
    """Imports torch and transformers into this module's globals (the measuring parts need them)."""
    global torch, F, transformers, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM
    import torch
    import torch.nn.functional as F
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM
    DTYPES.update({"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32})


def elapsed():
    return time.perf_counter() - START


def log(*args):
    print(f"[{elapsed():6.1f}s]", *args, flush=True)


def r4(x):
    return round(x, 4)


# ---------------------------------------------------------------------------------------------
# Models


def qwen2_config(layers=28, attn="sdpa"):
    return Qwen2Config(
        hidden_size=3584, num_hidden_layers=layers, num_attention_heads=28, num_key_value_heads=4,
        intermediate_size=18944, vocab_size=151666, max_position_embeddings=32768, rope_theta=1e6,
        rms_norm_eps=1e-6, tie_word_embeddings=False, attn_implementation=attn)


def llama3_config():
    return LlamaConfig(
        hidden_size=4096, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
        intermediate_size=14336, vocab_size=128256, max_position_embeddings=8192, rope_theta=5e5,
        rms_norm_eps=1e-5, tie_word_embeddings=False, attn_implementation="sdpa")


def siglip_config(attn="sdpa"):
    from transformers import SiglipVisionConfig
    cfg = SiglipVisionConfig(
        hidden_size=1152, intermediate_size=4304, num_attention_heads=16, num_hidden_layers=27,
        patch_size=14, image_size=448, num_channels=3, attn_implementation=attn)
    cfg.vision_use_head = False  # MiniCPM-V's vpm has no attention-pooling head
    return cfg


def build(cls, cfg, dtype, device="cuda"):
    from random_model import random_model
    return random_model(torch, cls, cfg, dtype, device)


def build_siglip(dtype=None):
    dtype = dtype or torch.bfloat16
    from transformers import SiglipVisionModel
    try:
        model = build(SiglipVisionModel, siglip_config("sdpa"), dtype)
    except Exception as e:  # noqa: BLE001
        log("SigLIP sdpa failed, using eager:", e)
        model = build(SiglipVisionModel, siglip_config("eager"), dtype)
    return model


def release():
    """Return cached blocks to the driver (call after the last reference to a model is dropped)."""
    gc.collect()
    torch.cuda.empty_cache()


def attn_impl(model):
    return getattr(model.config, "_attn_implementation", None)


def set_attn(model, impl):
    try:
        model.set_attn_implementation(impl)
    except Exception:  # noqa: BLE001
        model.config._attn_implementation = impl
    return attn_impl(model)


# ---------------------------------------------------------------------------------------------
# Environment


def sh(cmd):
    try:
        return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:  # noqa: BLE001
        return f"error: {e}"


def environment():
    import accelerate
    cpu = sh("lscpu | grep 'Model name' | head -1 | sed 's/Model name:\\s*//'") or sh(
        "grep -m1 'model name' /proc/cpuinfo")
    devices = []
    for i in range(torch.cuda.device_count()):
        free, total = torch.cuda.mem_get_info(i)
        p = torch.cuda.get_device_properties(i)
        devices.append({"index": i, "name": torch.cuda.get_device_name(i), "memGetInfoFreeBytes": free,
                        "memGetInfoTotalBytes": total, "multiprocessors": p.multi_processor_count})
    return {
        "python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
        "transformers": transformers.__version__, "accelerate": accelerate.__version__,
        "cpu": cpu, "cpuCores": os.cpu_count(), "gpus": devices,
        "nvidiaSmi": sh("nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,"
                        "power.limit,temperature.gpu --format=csv"),
        "sdpBackendsEnabled": {"flash": torch.backends.cuda.flash_sdp_enabled(),
                               "memEfficient": torch.backends.cuda.mem_efficient_sdp_enabled(),
                               "math": torch.backends.cuda.math_sdp_enabled()},
    }


# ---------------------------------------------------------------------------------------------
# 1. Weights


def unaccounted_blocks(model):
    """Active allocator blocks that hold no parameter or buffer of `model`: sizes, largest first."""
    ptrs = set()
    for t in list(model.parameters()) + list(model.buffers()):
        ptrs.add(t.untyped_storage().data_ptr())
    extra = []
    for seg in torch.cuda.memory_snapshot():
        addr = seg["address"]
        for b in seg["blocks"]:
            a = b.get("address", addr)
            if b["state"] == "active_allocated" and a not in ptrs:
                extra.append(b["size"])
            addr = a + b["size"]
    extra.sort(reverse=True)
    return {"count": len(extra), "totalBytes": sum(extra), "largestBytes": extra[:10]}


def weight_record(name, model, dtype_name, base):
    torch.cuda.synchronize()
    allocated = torch.cuda.memory_allocated() - base
    params = list(model.parameters())
    buffers = list(model.buffers())
    param_bytes = sum(p.numel() * p.element_size() for p in params)
    buffer_bytes = sum(b.numel() * b.element_size() for b in buffers)
    rounded = sum(-(-(t.numel() * t.element_size()) // 512) * 512 for t in params + buffers)
    rec = {
        "model": name, "dtype": dtype_name, "parameters": sum(p.numel() for p in params),
        "parameterTensors": len(params), "parameterBytes": param_bytes,
        "bufferBytes": buffer_bytes, "parameterAndBufferBytesRoundedTo512": rounded,
        "allocatedBytes": allocated, "reservedBytes": torch.cuda.memory_reserved(),
        "allocatedMinusParameterBytes": allocated - param_bytes,
        "allocatedOverParameterBytes": r4(allocated / param_bytes),
    }
    try:
        rec["unaccountedActiveBlocks"] = unaccounted_blocks(model)
    except Exception as e:  # noqa: BLE001
        rec["unaccountedActiveBlocks"] = f"error: {e}"
    log(f"weights {name} {dtype_name}: allocated {allocated} params {param_bytes}")
    return rec


def measure_weights(name, cls_cfg, dtype_name):
    gc.collect()
    torch.cuda.empty_cache()
    base = torch.cuda.memory_allocated()
    cls, cfg = cls_cfg
    model = build(cls, cfg, DTYPES[dtype_name])
    rec = weight_record(name, model, dtype_name, base)
    rec["baselineAllocatedBytes"] = base
    del model
    release()
    return rec


# ---------------------------------------------------------------------------------------------
# 3. Decode and prefill timing


def sync_all():
    for i in range(torch.cuda.device_count()):
        torch.cuda.synchronize(i)


def timed_generate(model, prompt, new_tokens):
    """Seconds for one `generate` of `new_tokens`, every GPU synchronised before and after
    (Scripts/decode_rounds.py's, which --part profile's robust rounds use too)."""
    from decode_rounds import timed_generate as timed
    return timed(torch, model, prompt, new_tokens)


def decode_round(model, prompt, new_tokens=128, repeats=7, warmups=2):
    for _ in range(warmups):
        timed_generate(model, prompt, new_tokens)
    samples, ones = [], []
    for _ in range(repeats):
        one = timed_generate(model, prompt, 1)
        many = timed_generate(model, prompt, 1 + new_tokens)
        ones.append(one * 1000)
        samples.append((many - one) / new_tokens * 1000)
    return statistics.median(samples), samples, ones


def measure_decode(model, batch, prompt_tokens=512, new_tokens=128, rounds=3, device="cuda"):
    torch.manual_seed(1)
    prompt = torch.randint(100, 1000, (batch, prompt_tokens), device=device)
    out = {"batch": batch, "promptTokens": prompt_tokens, "newTokens": new_tokens, "warmups": 2,
           "repeats": 7, "rounds": rounds,
           "what": "(t(generate 1+newTokens) - t(generate 1)) / newTokens, ms per decode step (per token "
                   "of each sequence); medians of each round, raw samples, and t(generate 1) = prefill + "
                   "first token in ms"}
    meds, samples, ones = [], [], []
    for _ in range(rounds):
        m, s, o = decode_round(model, prompt, new_tokens)
        meds.append(r4(m))
        samples.append([r4(x) for x in s])
        ones.append([r4(x) for x in o])
    out["msPerTokenMedians"] = meds
    out["msPerTokenMedian"] = r4(statistics.median([x for s in samples for x in s]))
    out["msPerTokenSamples"] = samples
    out["generateOneTokenMs"] = ones
    log(f"decode batch {batch}: medians {meds}")
    return out


def measure_prefill(model, tokens, repeats=5, warmups=2, device="cuda"):
    prompt = torch.randint(100, 1000, (1, tokens), device=device)

    def once():
        sync_all()
        t = time.perf_counter()
        with torch.no_grad():
            model(prompt, use_cache=True, logits_to_keep=1)
        sync_all()
        return (time.perf_counter() - t) * 1000

    for _ in range(warmups):
        once()
    samples = [r4(once()) for _ in range(repeats)]
    log(f"prefill {tokens}: {statistics.median(samples):.2f} ms")
    return {"batch": 1, "tokens": tokens, "msMedian": r4(statistics.median(samples)), "msSamples": samples}


# ---------------------------------------------------------------------------------------------
# 2. Peak memory grid


KV_BYTES_PER_TOKEN = 28 * 2 * 4 * 128 * 2  # layers x (K, V) x kv heads x head dim x bf16


def peak_generate(model, batch, context, new_tokens=8):
    torch.manual_seed(2)
    prompt = torch.randint(100, 1000, (batch, context), device="cuda")
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    with torch.no_grad():
        model.generate(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - t
    peak = torch.cuda.max_memory_allocated()
    kv = KV_BYTES_PER_TOKEN * batch * (context + new_tokens)
    return {
        "batch": batch, "context": context, "newTokens": new_tokens, "attention": attn_impl(model),
        "peakAboveWeightsBytes": peak - base, "baseAllocatedBytes": base,
        "peakReservedBytes": torch.cuda.max_memory_reserved(),
        "kvCacheBytesFinal": kv, "peakAboveWeightsMinusFinalKvBytes": peak - base - kv,
        "generateSeconds": r4(seconds),
    }


def estimated_peak(batch, context, weights):
    tokens = batch * context
    # KV + gated-MLP transient (3 x intermediate) + ~6 hidden-sized copies, bf16; an over-estimate used only
    # to skip points that clearly cannot fit.
    return weights + KV_BYTES_PER_TOKEN * batch * (context + 8) + tokens * (3 * 18944 + 6 * 3584) * 2


def measure_grid(model, weights, batches=(1, 4, 16, 32), contexts=(128, 1024, 4096, 16384)):
    _, total = torch.cuda.mem_get_info()
    points = []
    for b in batches:
        for c in contexts:
            est = estimated_peak(b, c, weights)
            if est > total:
                points.append({"batch": b, "context": c, "attention": attn_impl(model), "skipped": True,
                               "why": f"estimated {est} bytes > device total {total}"})
                log(f"grid b{b} c{c}: skipped (est {est / 2**30:.1f} GiB)")
                continue
            try:
                rec = peak_generate(model, b, c)
                log(f"grid b{b} c{c}: peak above weights {rec['peakAboveWeightsBytes'] / 2**30:.3f} GiB")
            except torch.cuda.OutOfMemoryError as e:
                rec = {"batch": b, "context": c, "attention": attn_impl(model), "skipped": True,
                       "why": "OutOfMemoryError: " + str(e).split("\n")[0][:300],
                       "estimatedBytes": est}
                log(f"grid b{b} c{c}: OOM")
            gc.collect()
            torch.cuda.empty_cache()
            points.append(rec)
    return points


# ---------------------------------------------------------------------------------------------
# 4. Hardware floor


def linear_weights(model):
    ws = []
    for layer in model.model.layers:
        a, m = layer.self_attn, layer.mlp
        ws += [a.q_proj.weight, a.k_proj.weight, a.v_proj.weight, a.o_proj.weight,
               m.gate_proj.weight, m.up_proj.weight, m.down_proj.weight]
    ws.append(model.lm_head.weight)
    return ws


def cuda_event_ms(fn, n):
    samples = []
    for _ in range(n):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        samples.append(s.elapsed_time(e))
    return samples


def measure_floor(model, batch, replays=50):
    ws = linear_weights(model)
    nbytes = sum(w.numel() * w.element_size() for w in ws)
    xs = {}
    for w in ws:
        k = w.shape[1]
        if k not in xs:
            xs[k] = torch.randn(batch, k, device="cuda", dtype=w.dtype)

    def step():
        for w in ws:
            F.linear(xs[w.shape[1]], w)

    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(s)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        step()
    for _ in range(3):
        g.replay()
    torch.cuda.synchronize()
    graph = cuda_event_ms(g.replay, replays)
    eager = cuda_event_ms(step, 10)
    gm, em = statistics.median(graph), statistics.median(eager)
    del g
    torch.cuda.synchronize()
    log(f"floor batch {batch}: graph {gm:.3f} ms = {nbytes / gm / 1e6:.0f} GB/s, eager {em:.3f} ms")
    return {
        "batch": batch, "matrices": len(ws), "weightBytes": nbytes,
        "what": "x @ W.T (F.linear, no bias) for the 28 layers' q,k,v,o,gate,up,down and lm_head, bf16",
        "graphReplayMsMedian": r4(gm), "graphReplayMsSamples": [r4(x) for x in graph],
        "impliedGBps": round(nbytes / gm / 1e6, 1),
        "eagerLaunchMsMedian": r4(em), "eagerLaunchMsSamples": [r4(x) for x in eager],
    }


# ---------------------------------------------------------------------------------------------
# 5. Vision tower


def measure_vision(model, base_weights, batches=(1, 4, 10, 16), repeats=10, warmups=2):
    out = []
    for b in batches:
        x = torch.randn(b, 3, 448, 448, device="cuda", dtype=torch.bfloat16)

        def once():
            with torch.no_grad():
                model(pixel_values=x)

        gc.collect()
        torch.cuda.empty_cache()
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        once()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - base
        for _ in range(warmups):
            once()
        samples = []
        for _ in range(repeats):
            torch.cuda.synchronize()
            t = time.perf_counter()
            once()
            torch.cuda.synchronize()
            samples.append(r4((time.perf_counter() - t) * 1000))
        m = statistics.median(samples)
        log(f"vision batch {b}: {m:.2f} ms, peak above weights+input {peak / 2**20:.0f} MiB")
        out.append({"slices": b, "patchesPerSlice": 1024, "msMedian": r4(m), "msSamples": samples,
                    "peakAboveWeightsAndInputBytes": peak, "inputBytes": x.numel() * 2,
                    "weightsAllocatedBytes": base_weights})
        del x
    return out


# ---------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self, path, result):
        self.path, self.result = path, result

    def save(self):
        self.result["elapsedSeconds"] = round(elapsed(), 1)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.result, f, indent=1)
            f.write("\n")
        os.replace(tmp, self.path)

    def section(self, key, fn):
        log(f"== {key}")
        try:
            self.result[key] = fn()
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            self.result.setdefault("errors", {})[key] = f"{type(e).__name__}: {e}"[:2000]
        self.save()


def part_single(rec, deadline):
    R = rec.result
    R["weights"] = []
    base = torch.cuda.memory_allocated()
    model = build(Qwen2ForCausalLM, qwen2_config(28, "sdpa"), torch.bfloat16)
    w = weight_record("qwen2-7b", model, "bf16", base)
    w["baselineAllocatedBytes"] = base
    R["weights"].append(w)
    weights = w["allocatedBytes"]
    rec.save()

    rec.section("decodeBatch1", lambda: measure_decode(model, 1))
    rec.section("peakGrid", lambda: {
        "what": "peak torch.cuda.max_memory_allocated during generate (prompt = context tokens, 8 new "
                "tokens, greedy) minus allocated before it (the weights); kvCacheBytesFinal = 57344 "
                "bytes/token x batch x (context + 8)",
        "points": measure_grid(model, weights)})

    def eager_points():
        set_attn(model, "eager")
        pts = []
        for c in (1024, 4096):
            try:
                pts.append(peak_generate(model, 1, c))
                log(f"eager c{c}: {pts[-1]['peakAboveWeightsBytes'] / 2**30:.3f} GiB")
            except torch.cuda.OutOfMemoryError as e:
                pts.append({"batch": 1, "context": c, "attention": "eager", "skipped": True, "why": str(e)[:300]})
        set_attn(model, "sdpa")
        return pts

    rec.section("peakEager", eager_points)
    rec.section("prefill", lambda: [measure_prefill(model, t) for t in (512, 2048, 4096)])
    rec.section("floor", lambda: [measure_floor(model, 1), measure_floor(model, 8)])
    if elapsed() < deadline - 150:
        rec.section("decodeBatch8", lambda: measure_decode(model, 8))
    else:
        R.setdefault("skippedSections", []).append("decodeBatch8 (time)")
    del model
    release()

    def vision():
        base = torch.cuda.memory_allocated()
        m = build_siglip()
        wr = weight_record("siglip-so400m-448", m, "bf16", base)
        R["weights"].append(wr)
        res = {"attention": attn_impl(m), "visionUseHead": False,
               "batches": measure_vision(m, wr["allocatedBytes"])}
        del m
        release()
        return res

    rec.section("vision", vision)

    for name, cls_cfg, dt in (("qwen2-7b", (Qwen2ForCausalLM, qwen2_config()), "fp16"),
                              ("llama-3-8b", (LlamaForCausalLM, llama3_config()), "bf16"),
                              ("qwen2-7b", (Qwen2ForCausalLM, qwen2_config()), "fp32")):
        if elapsed() > deadline - 40:
            R.setdefault("skippedSections", []).append(f"weights {name} {dt} (time)")
            continue
        if dt == "fp32":
            free, _ = torch.cuda.mem_get_info()
            if free < 7.62e9 * 4 * 1.1:
                R.setdefault("skippedSections", []).append(f"weights {name} fp32 (free {free} too small)")
                continue
        try:
            R["weights"].append(measure_weights(name, cls_cfg, dt))
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            R.setdefault("errors", {})[f"weights {name} {dt}"] = str(e)[:1000]
        rec.save()


def measure_hops():
    """cuda:0 -> cuda:1 copies of one decode step's and one 4096-token prefill's hidden states."""
    from accelerate.utils import send_to_device
    out = {"what": "host time of one cuda:0 -> cuda:1 copy, torch.cuda.synchronize on both devices "
                   "before and after; median of n after 50 warm-ups; syncOnly = the two synchronize "
                   "calls alone"}
    for name, shape in (("decodeHidden", (1, 1, 3584)), ("prefill4096Hidden", (1, 4096, 3584))):
        x = torch.randn(*shape, device="cuda:0", dtype=torch.bfloat16)
        for how, fn in (("tensorTo", lambda: x.to("cuda:1")),
                        ("sendToDevice", lambda: send_to_device(x, 1)),
                        ("syncOnly", lambda: None)):
            for _ in range(50):
                fn()
            torch.cuda.synchronize(0)
            torch.cuda.synchronize(1)
            samples = []
            for _ in range(1000):
                torch.cuda.synchronize(0)
                torch.cuda.synchronize(1)
                t = time.perf_counter()
                y = fn()
                torch.cuda.synchronize(0)
                torch.cuda.synchronize(1)
                samples.append((time.perf_counter() - t) * 1000)
                del y
            m = statistics.median(samples)
            nbytes = x.numel() * 2
            out[f"{name}.{how}"] = {
                "shape": list(shape), "bytes": nbytes, "n": 1000, "msMedian": r4(m),
                "msP10": r4(sorted(samples)[100]), "msP90": r4(sorted(samples)[900]),
                "msMin": r4(min(samples)),
                "impliedGBps": round(nbytes / m / 1e6, 2) if how != "syncOnly" else None,
                "msSamples": [round(s, 5) for s in samples]}
            log(f"hop {name} {how}: {m * 1000:.1f} us")
        del x
    return out


def hooked_decode(model, layers):
    """Batch-1 decode (1 round) with accelerate's hooks on every entry of a one-GPU map."""
    from accelerate import dispatch_model
    from accelerate.hooks import remove_hook_from_submodules
    dm = {"model.embed_tokens": 0, "model.norm": 0, "model.rotary_emb": 0, "lm_head": 0}
    dm.update({f"model.layers.{i}": 0 for i in range(layers)})
    try:
        dispatch_model(model, device_map=dm, force_hooks=True)
        res = measure_decode(model, 1, rounds=1, device="cuda:0")
    finally:
        remove_hook_from_submodules(model)
    res["deviceMap"] = "every block of the split map on GPU 0, dispatch_model(force_hooks=True)"
    res["layers"] = layers
    res["mapEntries"] = len(dm)
    return res


def split_device_map(cfg):
    """infer_auto_device_map on a meta model, GPU 0 limited to about half the weights.

    accelerate keeps room for the largest unsplittable module (here the 1.09 GB embedding / lm_head) on
    every GPU before a later device, so GPU 0 gets half the weights plus that: 14 of 28 layers.
    """
    from accelerate import init_empty_weights, infer_auto_device_map
    from accelerate.utils import compute_module_sizes
    with init_empty_weights():
        meta = Qwen2ForCausalLM(cfg)
    sizes = compute_module_sizes(meta, dtype=torch.bfloat16)
    total = sizes[""]
    layer = sizes["model.layers.0"]
    largest = max(layer, sizes["model.embed_tokens"], sizes["lm_head"])
    max_memory = {0: int(total // 2 + largest), 1: int(total * 2)}
    dm = infer_auto_device_map(meta, max_memory=max_memory, no_split_module_classes=["Qwen2DecoderLayer"],
                               dtype=torch.bfloat16)
    return dm, max_memory, total, layer


def part_multi(rec, deadline):
    from accelerate import dispatch_model
    R = rec.result
    assert torch.cuda.device_count() >= 2, "needs two GPUs"
    R["topology"] = sh("nvidia-smi topo -m")
    R["peerAccess"] = {"0to1": torch.cuda.can_device_access_peer(0, 1),
                       "1to0": torch.cuda.can_device_access_peer(1, 0)}

    # Hops first: cheap and independent of the model.
    rec.section("hop", measure_hops)

    cfg = qwen2_config(28, "sdpa")
    model = build(Qwen2ForCausalLM, cfg, torch.bfloat16, device="cuda:0")
    torch.cuda.synchronize()
    R["weightsAllocatedBytesGpu0"] = torch.cuda.memory_allocated(0)
    rec.section("decodeOneGpu", lambda: measure_decode(model, 1, device="cuda:0"))
    rec.section("prefillOneGpu", lambda: [measure_prefill(model, 4096, device="cuda:0")])

    if elapsed() < deadline - 200:
        rec.section("decodeOneGpuWithHooks", lambda: hooked_decode(model, 28))
    else:
        R.setdefault("skippedSections", []).append("decodeOneGpuWithHooks (time)")

    def split():
        dm, max_memory, total, layer = split_device_map(cfg)
        devices = set(dm.values())
        source = "infer_auto_device_map"
        if devices != {0, 1}:
            source = f"hand-made (infer_auto_device_map gave devices {sorted(map(str, devices))})"
            dm = {"model.embed_tokens": 0, "model.rotary_emb": 0, "model.norm": 1, "lm_head": 1}
            dm.update({f"model.layers.{i}": 0 if i < 14 else 1 for i in range(28)})
        dispatch_model(model, device_map=dm)
        torch.cuda.synchronize(0)
        torch.cuda.synchronize(1)
        R["split"] = {"deviceMap": {k: str(v) for k, v in dm.items()}, "source": source,
                      "maxMemory": {str(k): v for k, v in max_memory.items()},
                      "moduleSizesTotalBytes": total, "layerBytes": layer,
                      "layersOnGpu0": sum(1 for k, v in dm.items() if k.startswith("model.layers.") and v == 0),
                      "allocatedBytes": {"0": torch.cuda.memory_allocated(0), "1": torch.cuda.memory_allocated(1)}}
        log("split:", R["split"]["layersOnGpu0"], "layers on GPU 0;", R["split"]["allocatedBytes"])
        rec.save()
        return measure_decode(model, 1, device="cuda:0")

    rec.section("decodeSplit", split)
    if "split" in R:
        rec.section("prefillSplit", lambda: [measure_prefill(model, 4096, device="cuda:0")])


# ---------------------------------------------------------------------------------------------
# 5b. Where a split map's time goes: --part split-sweep


def sweep_device_map(layers_on_0, layers=28, rotary=0):
    """An explicit two-GPU map built like split_device_map's hand-made one: embed_tokens and the first
    `layers_on_0` layers on GPU 0, the rest with norm and lm_head on GPU 1, rotary_emb on `rotary`
    (infer_auto_device_map puts it with the norm, on the last device, as it follows module order)."""
    dm = {"model.embed_tokens": 0}
    dm.update({f"model.layers.{i}": 0 if i < layers_on_0 else 1 for i in range(layers)})
    dm.update({"model.norm": 1, "model.rotary_emb": rotary, "lm_head": 1})
    return dm


def undispatch(model):
    """Takes accelerate's hooks (and what dispatch_model added) off the model and moves it to cuda:0."""
    from accelerate.hooks import remove_hook_from_submodules
    remove_hook_from_submodules(model)
    for attr in ("to", "cuda", "hf_device_map"):
        model.__dict__.pop(attr, None)
    model.to("cuda:0")
    sync_all()


def as_device(d):
    return torch.device("cuda", d) if isinstance(d, int) else torch.device(d)


class MoveCounter:
    """Counts the tensors accelerate's hooks move between devices: wraps accelerate.hooks.send_to_device
    (what AlignDevicesHook.pre_forward/post_forward call) and walks its argument, by argument name."""

    def __init__(self):
        import collections
        self.moved, self.bytes, self.calls = collections.Counter(), collections.Counter(), 0

    def walk(self, x, device, skip, path):
        if isinstance(x, torch.Tensor):
            if x.device != device:
                self.moved[path] += 1
                self.bytes[path] += x.numel() * x.element_size()
        elif isinstance(x, dict):
            for k, v in x.items():
                if skip is None or k not in skip:
                    self.walk(v, device, skip, str(k))
        elif isinstance(x, (list, tuple)):
            for i, v in enumerate(x):
                self.walk(v, device, skip, path or f"arg{i}")

    def __enter__(self):
        import accelerate.hooks as hooks
        self.hooks, self.original = hooks, hooks.send_to_device

        def counting(tensor, device, *args, **kwargs):
            self.calls += 1
            skip = kwargs.get("skip_keys")
            skip = [skip] if isinstance(skip, str) else skip
            self.walk(tensor, as_device(device), skip, "")
            return self.original(tensor, device, *args, **kwargs)

        hooks.send_to_device = counting
        return self

    def __exit__(self, *exc):
        self.hooks.send_to_device = self.original


def step_counts(model, prompt, new_tokens=8):
    """Per decode step, (counts(generate 1 + new_tokens) - counts(generate 1)) / new_tokens: CUDA runtime API
    calls and GPU copies from torch.profiler (kineto/CUPTI), and the tensors accelerate's hooks move across
    devices (MoveCounter)."""
    import collections
    from torch.profiler import ProfilerActivity, profile

    def once(n):
        with MoveCounter() as mc, profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            timed_generate(model, prompt, n)
        api, api_us, gpu = collections.Counter(), collections.Counter(), collections.Counter()
        for e in prof.events():
            name = e.name
            on_gpu = e.device_type == torch.autograd.DeviceType.CUDA
            if not on_gpu and name.startswith("cu"):
                api[name] += 1
                api_us[name] += e.cpu_time_total
            elif on_gpu:
                gpu["kernels" if not name.startswith(("Memcpy", "Memset")) else name] += 1
        return api, api_us, gpu, mc.moved, mc.bytes, mc.calls

    once(new_tokens)  # warm the profiler
    a1, u1, g1, m1, b1, c1 = once(1)
    an, un, gn, mn, bn, cn = once(1 + new_tokens)

    def per_step(many, one, digits=2):
        keys = sorted(set(many) | set(one))
        return {k: round((many.get(k, 0) - one.get(k, 0)) / new_tokens, digits) for k in keys}

    return {"newTokens": new_tokens,
            "cudaRuntimeApi": per_step(an, a1),
            "cudaRuntimeApiHostUs": per_step(un, u1, 1),
            "gpuActivities": per_step(gn, g1),
            "hookMovedTensors": per_step(mn, m1),
            "hookMovedBytes": per_step(bn, b1),
            "hookSendToDeviceCalls": round((cn - c1) / new_tokens, 2)}


def measure_layer_inputs_copy(model, n=2000):
    """Host time of accelerate's send_to_device of one decoder layer's shared inputs at decode
    (position_embeddings cos/sin, position_ids, cache_position; attention_mask None), from cuda:0 to
    cuda:1 and to cuda:0 (nothing to move), n calls back to back, one sync at the end: us a call."""
    from accelerate.utils import send_to_device
    x = torch.zeros(1, 1, 3584, device="cuda:0", dtype=torch.bfloat16)
    position_ids = torch.tensor([[512]], device="cuda:0")
    with torch.no_grad():
        cos, sin = model.model.rotary_emb(x, position_ids)
    kw = {"attention_mask": None, "position_ids": position_ids, "cache_position": torch.tensor([512], device="cuda:0"),
          "position_embeddings": (cos, sin), "use_cache": True}
    out = {"tensors": sum(2 if k == "position_embeddings" else 1 for k, v in kw.items()
                          if k == "position_embeddings" or isinstance(v, torch.Tensor)),
           "what": "send_to_device(kwargs, device) of one decoder layer's decode inputs: "
                   + ", ".join(f"{k} {tuple(v.shape) if isinstance(v, torch.Tensor) else v}" for k, v in kw.items()
                               if k != "position_embeddings")
                   + f", position_embeddings 2 x {tuple(cos.shape)} {cos.dtype}; n calls back to back, both "
                     "devices synchronised before and after; host us a call"}
    for name, device in (("toGpu1", 1), ("toGpu0", 0)):
        samples = []
        for _ in range(5):
            sync_all()
            t = time.perf_counter()
            for _ in range(n):
                send_to_device(kw, device)
            sync_all()
            samples.append((time.perf_counter() - t) / n * 1e6)
        out[name] = {"n": n, "usPerCallMedian": round(statistics.median(samples[1:]), 2),
                     "usPerCallSamples": [round(s, 2) for s in samples], "warmups": 1}
        log(f"layer inputs {name}: {out[name]['usPerCallMedian']} us a call")
    return out


SWEEP_CONFIGS = (
    # name, device map (None: no hooks), force_hooks, layers on GPU 0, rotary_emb's GPU
    ("oneGpu", None, False, 28, 0),
    ("oneGpuHooks", "all0", True, 28, 0),
    ("split7", 7, False, 7, 0),
    ("split14", 14, False, 14, 0),
    ("split21", 21, False, 21, 0),
    ("split14RotaryLast", 14, False, 14, 1),
    ("split7RotaryLast", 7, False, 7, 1),
    ("split21RotaryLast", 21, False, 21, 1),
)


def part_split_sweep(rec, deadline, rounds=3, repeats=5):
    """Batch-1 decode of the 28-layer geometry on one GPU, with hooks on one GPU, and split at 7, 14 and
    21 layers (rotary_emb on GPU 0, and on GPU 1 as infer_auto_device_map places it), the configurations
    interleaved round by round; per-step CUDA API counts and hook moves in the first round."""
    from accelerate import dispatch_model
    R = rec.result
    assert torch.cuda.device_count() >= 2, "needs two GPUs"
    R["topology"] = sh("nvidia-smi topo -m")
    R["peerAccess"] = {"0to1": torch.cuda.can_device_access_peer(0, 1),
                       "1to0": torch.cuda.can_device_access_peer(1, 0)}
    cfg = qwen2_config(28, "sdpa")
    model = build(Qwen2ForCausalLM, cfg, torch.bfloat16, device="cuda:0")
    sync_all()
    rec.section("layerInputsCopy", lambda: measure_layer_inputs_copy(model))
    torch.manual_seed(1)
    prompt = torch.randint(100, 1000, (1, 512), device="cuda:0")
    sweep = []
    for name, dm, force, on0, rotary in SWEEP_CONFIGS:
        if dm == "all0":
            dm = {"model.embed_tokens": 0, "model.norm": 0, "model.rotary_emb": 0, "lm_head": 0}
            dm.update({f"model.layers.{i}": 0 for i in range(28)})
        elif isinstance(dm, int):
            dm = sweep_device_map(dm, 28, rotary)
        sweep.append({"name": name, "layersOnGpu0": on0, "layersOnGpu1": 28 - on0, "rotaryEmbGpu": rotary,
                      "hooks": dm is not None, "forceHooks": force,
                      "deviceMap": {k: v for k, v in dm.items()} if dm else None,
                      "mapEntries": len(dm) if dm else 0,
                      "batch": 1, "promptTokens": 512, "newTokens": 128, "repeats": repeats,
                      "warmups": "2 in the first round, 1 after (each round re-dispatches)",
                      "msPerTokenMedians": [], "msPerTokenSamples": [], "generateOneTokenMs": []})
    R["decodeSweep"] = sweep
    R["decodeSweepWhat"] = (
        "ms per decode step, (t(generate 1+128) - t(generate 1)) / 128, batch 1, prompt 512; the configurations "
        "interleaved: each round dispatches every configuration in turn (undispatch to cuda:0, dispatch_model) "
        "and takes `repeats` samples after its warm-ups; msPerTokenMedian = median of all samples. "
        "perDecodeStep (first round): torch.profiler counts of CUDA runtime API calls and GPU copies and the "
        "tensors accelerate's hooks moved across devices, (generate 9 - generate 1) / 8")
    last = {}
    for r in range(rounds):
        for entry in sweep:
            name = entry["name"]
            if r > 0 and elapsed() + last.get(name, 30) > deadline:
                R.setdefault("skippedSections", []).append(f"{name} round {r + 1} (time)")
                continue
            started = elapsed()
            log(f"== {name} round {r + 1}")
            try:
                undispatch(model)
                if entry["deviceMap"]:
                    dispatch_model(model, device_map=entry["deviceMap"], force_hooks=entry["forceHooks"])
                    sync_all()
                if r == 0:
                    entry["allocatedBytes"] = {str(i): torch.cuda.memory_allocated(i) for i in range(2)}
                m, s, o = decode_round(model, prompt, 128, repeats=repeats, warmups=2 if r == 0 else 1)
                entry["msPerTokenMedians"].append(r4(m))
                entry["msPerTokenSamples"].append([r4(x) for x in s])
                entry["generateOneTokenMs"].append([r4(x) for x in o])
                entry["msPerTokenMedian"] = r4(statistics.median(
                    x for xs in entry["msPerTokenSamples"] for x in xs))
                log(f"{name}: round median {m:.3f} ms, all {entry['msPerTokenMedian']}")
                if r == 0:
                    entry["perDecodeStep"] = step_counts(model, prompt)
                    log(f"{name}: per step {entry['perDecodeStep']['cudaRuntimeApi']} "
                        f"{entry['perDecodeStep']['hookMovedTensors']}")
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                R.setdefault("errors", {})[f"{name} round {r + 1}"] = f"{type(e).__name__}: {e}"[:2000]
            last[name] = elapsed() - started
            rec.save()
    undispatch(model)


# ---------------------------------------------------------------------------------------------
# 6. Host profile: --part profile measures what it needs, --fit-profile fits (no torch needed)


def part_profile(rec, deadline, layer_counts):
    """Batch-1 decode of the Qwen2-7B geometry at each layer count, with accelerate's hooks at the
    first, and a hop where there are two GPUs: all that --fit-profile needs, nothing more.

    Each decode is measured by Scripts/decode_rounds.py: warm-up until three consecutive rounds agree
    within 5% (or it gives up and marks the host noisy), then at least 5 rounds; the spread of the
    rounds is recorded and --fit-profile refuses a noisy host."""
    from decode_rounds import robust_decode
    R = rec.result
    R["decodeByLayers"] = []
    if torch.cuda.device_count() >= 2:
        rec.section("hop", measure_hops)
    for i, layers in enumerate(layer_counts):
        model = build(Qwen2ForCausalLM, qwen2_config(layers, "sdpa"), torch.bfloat16, device="cuda:0")
        log(f"== decode, {layers} layers")
        try:
            torch.manual_seed(1)
            prompt = torch.randint(100, 1000, (1, 512), device="cuda:0")
            d = robust_decode(torch, model, prompt, new_tokens=64, repeats=3, min_rounds=5, max_rounds=9,
                              max_warmup=8)
            d.update({"layers": layers, "batch": 1, "promptTokens": 512,
                      "msPerTokenMedian": d["msPerToken"]})
            R["decodeByLayers"].append(d)
            log(f"decode {layers} layers: {d['msPerToken']} ms/token, spread {d['spread']}, "
                f"settled {d['settled']}")
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            R.setdefault("errors", {})[f"decode {layers} layers"] = f"{type(e).__name__}: {e}"[:2000]
        rec.save()
        if i == 0:
            if elapsed() < deadline - 60:
                rec.section("decodeOneGpuWithHooks", lambda: hooked_decode(model, layers))
            else:
                R.setdefault("skippedSections", []).append("decodeOneGpuWithHooks (time)")
        del model
        release()


# A host whose decode rounds spread wider than this (max - min over the median), or that never
# settled (three consecutive warm-up rounds within 5%), is too noisy to calibrate: --fit-profile
# refuses its measurements (Scripts/decode_rounds.py).
NOISY_SPREAD = 0.10


# What the fit assumes of the planner: RuntimeProfile.transformers
# (Sources/Planner/Workload/RuntimeProfile.swift) and its cost model (Sources/Planner/Cost/
# CostModel.swift: a layer takes max(host time, bytes / (bandwidth x memoryEfficiency))). Keep in
# step with them; ProfileFileTests checks that the committed profiles reproduce the points they
# were fitted to.
BASE_RUNTIME = "transformers"
BASE_MEMORY_EFFICIENCY = 0.70
BASE_HOST_SECONDS_PER_STEP = 0.50e-3

# The measured geometry (qwen2_config, bf16): bytes a decode step reads.
HIDDEN, KV_WIDTH, INTERMEDIATE, VOCAB = 3584, 4 * 128, 18944, 151666
LAYER_BYTES = 2 * (2 * HIDDEN * HIDDEN + HIDDEN + 2 * (HIDDEN * KV_WIDTH + KV_WIDTH)
                   + 3 * HIDDEN * INTERMEDIATE + 2 * HIDDEN)  # 466,115,584
OUTSIDE_LAYER_BYTES = 2 * (VOCAB * HIDDEN + HIDDEN + HIDDEN)  # lm_head, final norm, one embedding row
MAP_ENTRIES_BEYOND_LAYERS = 4  # embed_tokens, norm, rotary_emb, lm_head: accelerate hooks each
LAYER_INPUT_TENSORS = 4  # layerInputsCopy moves cos, sin, position_ids, cache_position

# Datasheet memory bandwidth in GB/s, as the planner's GPU catalog has it, by the name torch reports.
BANDWIDTH_GBPS = {
    "NVIDIA H200": 4800, "NVIDIA H100 80GB HBM3": 3350, "NVIDIA H100 PCIe": 2000,
    "NVIDIA A100-SXM4-80GB": 2039, "NVIDIA A100 80GB PCIe": 1935, "NVIDIA A100-SXM4-40GB": 1555,
    "NVIDIA A100-PCIE-40GB": 1555, "NVIDIA L40S": 864, "NVIDIA A10": 600, "NVIDIA A10G": 600,
    "NVIDIA L4": 300, "NVIDIA RTX A6000": 768, "NVIDIA GeForce RTX 4090": 1008,
    "NVIDIA GeForce RTX 3090": 936, "NVIDIA GeForce RTX 2080 Ti": 616, "Tesla T4": 320,
    "Tesla V100-PCIE-16GB": 900, "Tesla V100-PCIE-32GB": 900, "Tesla P40": 346, "Tesla P4": 192,
}


class FitError(Exception):
    pass


def normalized(name):
    return "".join(c for c in name.lower() if c.isalnum())


def read_raw(path):
    """The measurements of one raw file that a host profile can use.

    Returns (host, decode, hooked, hops, moved, unused): decode = [(layers, ms, label)] at batch 1
    on one GPU without hooks; hooked = [(layers, ms, map entries, label)]; hops = [(ms, label)];
    moved = [(us a tensor, label)] from --part split-sweep's layerInputsCopy; unused = labels of
    decode-like measurements left out of the fit.
    """
    name = os.path.basename(path)
    try:
        with open(path) as f:
            R = json.load(f)
    except (OSError, ValueError) as e:
        raise FitError(f"{path}: cannot read it as JSON ({e})")
    script = R.get("script", "") if isinstance(R, dict) else ""
    decode, hooked, hops, moved, unused = [], [], [], [], []
    if script.endswith("measure_decode.py"):
        host = {"gpu": R["gpu"], "cpu": R.get("cpu", "").split(":", 1)[-1].strip(), "cores": None,
                "torch": R.get("torch"), "transformers": R.get("transformers")}
        if R.get("batch") == 1:
            for run in R["runs"]:
                ms = statistics.median(run["decodeMsPerTokenMedians"])
                decode.append((run["layers"], ms, f"{name} {run['layers']} layers (median of the round medians)"))
    elif script.endswith("calibrate.py"):
        env = R["environment"]
        host = {"gpu": env["gpus"][0]["name"], "cpu": env.get("cpu", ""), "cores": env.get("cpuCores"),
                "torch": env.get("torch"), "transformers": env.get("transformers")}
        for key in ("decodeBatch1", "decodeOneGpu"):
            if key in R and R[key].get("batch") == 1:
                decode.append((28, R[key]["msPerTokenMedian"], f"{name} {key}"))
        for d in R.get("decodeByLayers", []):
            if "spread" in d and (not d.get("settled", True) or d["spread"] > NOISY_SPREAD):
                why = (f"its rounds spread {d['spread']:.0%} of the median (at most {NOISY_SPREAD:.0%})"
                       if d["spread"] > NOISY_SPREAD else
                       f"its warm-up never settled (no three consecutive rounds within 5% in "
                       f"{len(d.get('warmupRounds', []))}: {d.get('warmupRounds')})")
                raise FitError(
                    f"{path}: decodeByLayers at {d['layers']} layers is too noisy to calibrate: {why}; run it "
                    f"again on a quiet host (no other jobs, fixed clocks)")
            decode.append((d["layers"], d["msPerTokenMedian"], f"{name} decodeByLayers {d['layers']} layers"))
        if "decodeOneGpuWithHooks" in R:
            h = R["decodeOneGpuWithHooks"]
            layers = h.get("layers", 28)
            entries = h.get("mapEntries", layers + MAP_ENTRIES_BEYOND_LAYERS)
            hooked.append((layers, h["msPerTokenMedian"], entries, f"{name} decodeOneGpuWithHooks"))
        hop = R.get("hop", {}).get("decodeHidden.sendToDevice")
        if hop:
            hops.append((hop["msMedian"], f"{name} hop decodeHidden.sendToDevice"))
        for key, why in (("decodeBatch8", "batch 8"), ("decodeSplit", "a map split over two GPUs")):
            if key in R:
                unused.append(f"{name} {key} {R[key]['msPerTokenMedian']} ms ({why})")
        for d in R.get("decodeSweep", []):
            if "msPerTokenMedian" not in d:
                continue
            label = f"{name} decodeSweep {d['name']}"
            if not d["hooks"]:
                decode.append((28, d["msPerTokenMedian"], label))
            elif d["layersOnGpu0"] == 28:
                hooked.append((28, d["msPerTokenMedian"], d["mapEntries"], label))
            else:
                unused.append(f"{label} {d['msPerTokenMedian']} ms (a map split over two GPUs)")
        copy = R.get("layerInputsCopy")
        if copy:
            tensors = copy.get("tensors", LAYER_INPUT_TENSORS)
            us = (copy["toGpu1"]["usPerCallMedian"] - copy["toGpu0"]["usPerCallMedian"]) / tensors
            moved.append((us, f"{name} layerInputsCopy ({copy['toGpu1']['usPerCallMedian']} us to cuda:1 - "
                              f"{copy['toGpu0']['usPerCallMedian']} us to cuda:0) / {tensors} tensors"))
    else:
        raise FitError(f"{path}: not a raw file of Scripts/calibrate.py or Scripts/measure_decode.py")
    return host, decode, hooked, hops, moved, unused


def fit_profile(paths, bandwidth_gbps=None, measured_on=None):
    """The host profile (a dict, as the planner's --profile reads it) fitted to raw measurements.

    The planner times a decode step of the measured geometry (batch 1, one GPU) as
    L x max(hostSecondsPerLayer, GPU time of a layer) + GPU time outside the layers (lm_head,
    final norm, one embedding row read at bandwidth x memoryEfficiency) + hostSecondsPerStep, and
    adds L' x hostSecondsPerDispatchedLayer once a map spans several devices (L' = the map's
    entries) and hostSecondsPerHop per hop. The fit inverts that:

    - Two or more layer counts (measure_decode.py, --part profile): a least-squares line through
      the median decode time at each count; the slope is hostSecondsPerLayer, the intercept less
      the GPU time outside the layers is hostSecondsPerStep.
    - One layer count (calibrate.py --part single or multi): the step cannot be told apart from the
      layers, so hostSecondsPerStep keeps the base value (0.50 ms, not written) and
      hostSecondsPerLayer = (decode - GPU time outside the layers - 0.50 ms) / layers.
    - hostSecondsPerDispatchedLayer = (decode with accelerate's hooks - decode without, same layer
      count, same file) / the map's entries.
    - hostSecondsPerHop = the median host time of accelerate's send_to_device of one decode step's
      hidden state between two GPUs, syncs included (it also holds the ~2 us copy the planner adds
      from the link: a double count too small to matter).
    - hostSecondsPerMovedInput (--part split-sweep) = (send_to_device of a decoder layer's decode
      inputs from cuda:0 to cuda:1 - the same call to cuda:0, where nothing moves) / the tensors it
      moves. The sweep's one-GPU decodes count as decode and hooked points; its split maps are not
      fitted (held out).

    Either way the planner, given the profile, reproduces the fitted 1-GPU decode times. Where the
    per-layer time is no more than the GPU's own time for a layer, the layers are GPU-bound, the host
    time is not identifiable and hostSecondsPerLayer is not written. Fields not measured are not
    written: the base profile's values stay. Only decode at batch 1 on one GPU is fitted; batch 8
    and split maps are listed in the notes as not used (hold them out to check the profile).
    """
    hosts, decode, hooked, hops, moved, unused, files = [], [], [], [], [], [], []
    for path in paths:
        host, d, h, p, mv, u = read_raw(path)
        hosts.append(host)
        files.append(os.path.basename(path))
        decode += [(layers, ms, label, path) for layers, ms, label in d]
        hooked += [(layers, ms, entries, label, path) for layers, ms, entries, label in h]
        hops += p
        moved += mv
        unused += u
    gpus = sorted({h["gpu"] for h in hosts})
    if len(gpus) > 1:
        raise FitError(f"the raw files come from different GPUs ({', '.join(gpus)}): fit one host at a time")
    gpu = gpus[0]
    warnings = []
    if len({(h["cpu"], h["cores"]) for h in hosts if h["cores"] is not None}) > 1:
        warnings.append("the raw files name different hosts (CPU or core count): is this one machine?")
    if bandwidth_gbps is None:
        by_name = {normalized(k): v for k, v in BANDWIDTH_GBPS.items()}
        bandwidth_gbps = by_name.get(normalized(gpu))
        if bandwidth_gbps is None:
            raise FitError(f"no bandwidth known for '{gpu}': pass --bandwidth-gbps (the datasheet's GB/s)")
    if not decode:
        raise FitError("no batch-1 decode on one GPU in the raw files")
    read = bandwidth_gbps * 1e9 * BASE_MEMORY_EFFICIENCY
    outside = OUTSIDE_LAYER_BYTES / read
    layer_gpu = LAYER_BYTES / read
    notes = [f"Scripts/calibrate.py --fit-profile {' '.join(paths)}; GPU time as the planner models it: "
             f"{gpu} at {bandwidth_gbps} GB/s x memoryEfficiency {BASE_MEMORY_EFFICIENCY}, "
             f"{outside * 1e3:.4f} ms a step outside the layers, {layer_gpu * 1e3:.4f} ms a layer"]
    profile = {"runtime": BASE_RUNTIME}

    by_layers = {}
    for layers, ms, label, _ in decode:
        by_layers.setdefault(layers, []).append((ms, label))
    medians = {layers: statistics.median(ms for ms, _ in points) for layers, points in by_layers.items()}
    used = "; ".join(f"{label} {ms} ms" for layers in sorted(by_layers) for ms, label in by_layers[layers])
    host_step = None
    if len(medians) >= 2:
        xs = sorted(medians)
        mx = sum(xs) / len(xs)
        my = sum(medians[x] for x in xs) / len(xs)
        slope = sum((x - mx) * (medians[x] - my) for x in xs) / sum((x - mx) ** 2 for x in xs)
        intercept = my - slope * mx
        per_layer = slope / 1e3
        host_step = intercept / 1e3 - outside
        notes.append(f"hostSecondsPerLayer, hostSecondsPerStep: line through batch-1 decode against layer count "
                     f"({used}): slope {slope:.4f} ms a layer, intercept {intercept:.4f} ms less "
                     f"{outside * 1e3:.4f} ms of GPU time outside the layers")
    else:
        (layers, ms), = medians.items()
        per_layer = (ms / 1e3 - outside - BASE_HOST_SECONDS_PER_STEP) / layers
        notes.append(f"hostSecondsPerLayer: one layer count ({used}): ({ms} ms - {outside * 1e3:.4f} ms of GPU "
                     f"time outside the layers - {BASE_HOST_SECONDS_PER_STEP * 1e3:.2f} ms base hostSecondsPerStep) "
                     f"/ {layers}; hostSecondsPerStep not fitted (needs two layer counts)")
    if per_layer <= layer_gpu:
        warnings.append(f"{per_layer * 1e3:.4f} ms a layer is no more than the GPU's {layer_gpu * 1e3:.4f} ms: "
                        "the layers are GPU-bound here, hostSecondsPerLayer is not written")
    else:
        profile["hostSecondsPerLayer"] = round(per_layer, 9)
    if host_step is not None:
        if host_step < 0:
            raise FitError(f"refused: hostSecondsPerStep came out negative ({host_step * 1e3:.4f} ms): the decode "
                           f"times do not fall on a line through the layer counts ({used}); measure again, "
                           "with more layer counts, on a quieter host")
        profile["hostSecondsPerStep"] = round(host_step, 9)

    per_dispatched = []
    for layers, ms, entries, label, path in hooked:
        plain = [m for l, m, _, p in decode if l == layers and p == path]
        if not plain:
            warnings.append(f"{label}: no decode without hooks at {layers} layers in the same file, not used")
            continue
        base = statistics.median(plain)
        per_dispatched.append((ms - base) / entries / 1e3)
        notes.append(f"hostSecondsPerDispatchedLayer: ({label} {ms} ms - {base} ms without hooks) / "
                     f"{entries} map entries")
    if per_dispatched:
        value = statistics.median(per_dispatched)
        if value < 0:
            warnings.append(f"the hooks came out faster than no hooks ({value * 1e3:.4f} ms): written as 0")
        profile["hostSecondsPerDispatchedLayer"] = round(max(value, 0.0), 9)
    if hops:
        value = statistics.median(ms for ms, _ in hops) / 1e3
        profile["hostSecondsPerHop"] = round(value, 9)
        notes.append(f"hostSecondsPerHop: {'; '.join(f'{label} {ms} ms' for ms, label in hops)}")
    if moved:
        value = statistics.median(us for us, _ in moved) / 1e6
        if value < 0:
            warnings.append(f"a moved input came out negative ({value * 1e6:.2f} us): written as 0")
        profile["hostSecondsPerMovedInput"] = round(max(value, 0.0), 9)
        notes.append(f"hostSecondsPerMovedInput: {'; '.join(label for _, label in moved)}")
    missing = [k for k in ("hostSecondsPerStep", "hostSecondsPerDispatchedLayer", "hostSecondsPerHop",
                           "hostSecondsPerMovedInput") if k not in profile]
    if missing:
        notes.append(f"not measured, the base {BASE_RUNTIME} values stay: {', '.join(missing)}")
    if unused:
        notes.append(f"not used in the fit (held out): {'; '.join(unused)}")
    notes += [f"warning: {w}" for w in warnings]

    if measured_on is None:
        h = hosts[0]
        parts = [h["cpu"] or "unknown CPU"]
        if h["cores"]:
            parts.append(f"{h['cores']} cores")
        parts += [f"torch {h['torch']}", f"transformers {h['transformers']}"]
        measured_on = f"{gpu} host: {', '.join(parts)} ({', '.join(files)})"
    if len(measured_on) > 200 or any(ord(c) < 32 for c in measured_on):
        raise FitError("measuredOn must be one line of at most 200 characters (use --measured-on)")
    out = {"runtime": profile.pop("runtime"), "measuredOn": measured_on, "notes": notes}
    out.update(profile)
    return out, warnings


def write_profile(profile, path):
    text = json.dumps(profile, indent=2, ensure_ascii=False) + "\n"
    if path in (None, "-"):
        sys.stdout.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)


def summary(R):
    lines = []
    for w in R.get("weights", []):
        lines.append(f"weights {w['model']} {w['dtype']}: allocated {w['allocatedBytes']} params "
                     f"{w['parameterBytes']} (+{w['allocatedMinusParameterBytes']})")
    for d in R.get("decodeByLayers", []):
        # --part single's entries keep medians of several rounds; --part profile's (decode_rounds.py)
        # the rounds, their spread and whether the warm-up settled.
        rounds = d.get("msPerTokenMedians", d.get("rounds"))
        extra = f", spread {d['spread']}, settled {d['settled']}" if "spread" in d else ""
        lines.append(f"decode {d['layers']} layers: ms/token rounds {rounds} overall {d['msPerTokenMedian']}{extra}")
    for key in ("decodeBatch1", "decodeBatch8", "decodeOneGpu", "decodeOneGpuWithHooks", "decodeSplit"):
        if key in R:
            lines.append(f"{key}: ms/token medians {R[key]['msPerTokenMedians']} overall {R[key]['msPerTokenMedian']}")
    for p in R.get("peakGrid", {}).get("points", []) + R.get("peakEager", []):
        if p.get("skipped"):
            lines.append(f"peak b{p['batch']} c{p['context']} {p.get('attention')}: skipped ({p['why'][:60]})")
        else:
            lines.append(f"peak b{p['batch']} c{p['context']} {p['attention']}: {p['peakAboveWeightsBytes']} above weights, "
                         f"{p['peakAboveWeightsMinusFinalKvBytes']} above weights+KV")
    for key in ("prefill", "prefillOneGpu", "prefillSplit"):
        for p in R.get(key, []):
            lines.append(f"{key} {p['tokens']}: {p['msMedian']} ms")
    for f in R.get("floor", []):
        lines.append(f"floor batch {f['batch']}: graph {f['graphReplayMsMedian']} ms ({f['impliedGBps']} GB/s), "
                     f"eager {f['eagerLaunchMsMedian']} ms, {f['weightBytes']} bytes")
    if "vision" in R:
        for v in R["vision"]["batches"]:
            lines.append(f"vision {R['vision']['attention']} {v['slices']} slices: {v['msMedian']} ms, "
                         f"peak {v['peakAboveWeightsAndInputBytes']}")
    for k, v in R.get("hop", {}).items():
        if isinstance(v, dict):
            lines.append(f"hop {k}: {v['msMedian']} ms median ({v['bytes']} bytes)")
    if "split" in R:
        lines.append(f"split: {R['split']['layersOnGpu0']} layers on GPU 0 ({R['split']['source']})")
    for d in R.get("decodeSweep", []):
        lines.append(f"sweep {d['name']}: ms/token medians {d['msPerTokenMedians']} overall "
                     f"{d.get('msPerTokenMedian')}")
    for k, v in R.get("errors", {}).items():
        lines.append(f"ERROR {k}: {v[:200]}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("single", "multi", "profile", "split-sweep"))
    ap.add_argument("--fit-profile", nargs="+", metavar="RAW", help="fit a host profile to raw JSON files "
                    "(no torch needed); writes it to --out, or to stdout")
    ap.add_argument("--out", default=None, help="with --part: the raw JSON (default calibration-<part>.json); "
                    "with --fit-profile: the profile")
    ap.add_argument("--profile-out", default="profile.json",
                    help="with --part profile: the fitted profile (default profile.json)")
    ap.add_argument("--layers", default="28,14,7", help="with --part profile: layer counts (default 28,14,7; "
                    "fewer, e.g. 8,4, where 15 GB of weights do not fit the GPU)")
    ap.add_argument("--bandwidth-gbps", type=float, default=None,
                    help="the GPU's datasheet memory bandwidth, for GPUs the script does not list")
    ap.add_argument("--measured-on", default=None, help="the profile's measuredOn (default: from the raw files)")
    ap.add_argument("--rounds", type=int, default=3, help="with --part split-sweep: rounds over the "
                    "configurations (default 3; a round is skipped where it would end past --deadline)")
    ap.add_argument("--repeats", type=int, default=5, help="with --part split-sweep: samples a configuration "
                    "takes each round (default 5)")
    ap.add_argument("--deadline", type=float, default=540, help="seconds; later optional sections are skipped")
    args = ap.parse_args()
    if (args.part is None) == (args.fit_profile is None):
        ap.error("give either --part or --fit-profile")
    if args.fit_profile:
        try:
            profile, warnings = fit_profile(args.fit_profile, args.bandwidth_gbps, args.measured_on)
        except FitError as e:
            sys.exit(f"calibrate.py: {e}")
        for w in warnings:
            print(f"calibrate.py: warning: {w}", file=sys.stderr)
        write_profile(profile, args.out)
        return
    import_torch()
    layer_counts = [int(x) for x in args.layers.split(",")]
    path = args.out or f"calibration-{args.part}.json"
    R = {"script": "Scripts/calibrate.py", "part": args.part, "environment": environment(),
         "model": "Qwen2-7B geometry (hidden 3584, "
                  + (f"{args.layers} layers" if args.part == "profile" else "28 layers")
                  + ", 28 heads, 4 KV heads, intermediate 18944, vocab 151666, untied), random weights built "
                  "on the GPU",
         "units": "bytes are integers; times are milliseconds"}
    rec = Recorder(path, R)
    rec.save()
    log(json.dumps(R["environment"], indent=1))
    if args.part == "single":
        part_single(rec, args.deadline)
    elif args.part == "multi":
        part_multi(rec, args.deadline)
    elif args.part == "split-sweep":
        part_split_sweep(rec, args.deadline, args.rounds, args.repeats)
    else:
        part_profile(rec, args.deadline, layer_counts)
    rec.save()
    print("==== summary")
    print(summary(R))
    print(f"wrote {path} in {elapsed():.0f} s")
    if args.part == "profile":
        try:
            profile, warnings = fit_profile([path], args.bandwidth_gbps, args.measured_on)
        except FitError as e:
            sys.exit(f"calibrate.py: {e}")
        for w in warnings:
            print(f"calibrate.py: warning: {w}", file=sys.stderr)
        write_profile(profile, args.profile_out)
        print(f"wrote {args.profile_out}: planner --profile {args.profile_out} ...")


if __name__ == "__main__":
    main()

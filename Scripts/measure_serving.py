#!/usr/bin/env python3
"""Measures two serving-side quantities on real GPUs (random weights, nothing downloaded).

--part allreduce  (2+ GPUs, one process per GPU, launched with torchrun)
    NCCL all_reduce (sum) of bf16 tensors from 1 element to 256 MiB, plus the decode sizes
    batch x hidden x 2 B (hidden 3584/4096/8192, batch 1/8/32/256) and prefill sizes
    (2048 x 8192 x 2 B and others). Per size:
      * eventTimed: CUDA events around each all_reduce, back to back, warm-up then median of
        >= 50 iterations; algbw = bytes / time, busbw = algbw x 2(n-1)/n; also the loop average
        (events around the whole loop / iterations), which hides host launch gaps when the host
        runs ahead of the GPU.
      * hostTimed (sizes <= 4 MiB): perf_counter around dist.all_reduce + torch.cuda.synchronize(),
        eager, i.e. what one Python-issued collective costs the host.
      * cudaGraph (sizes <= 4 MiB): the same all_reduce captured in torch.cuda.CUDAGraph (what vLLM
        does in decode); one-op graph replays timed with events and host, and a 20-op graph's
        replay / 20. A failure is recorded, not fatal.
    torchrun --nproc-per-node=2 Scripts/measure_serving.py --part allreduce --out $OUT/allreduce.json

--part vision-profile  (one GPU)
    Peak memory and time of a SigLIP-so400m vision tower (transformers SiglipVisionModel: hidden
    1152, intermediate 4304, 27 layers, 16 heads, patch 14, image 448 -> 1024 patches, no pooling
    head, bf16) on batches of N 448x448 slices, attn_implementation "eager" and "sdpa", under
    torch.inference_mode. Peak = max_memory_allocated after reset_peak_memory_stats minus what was
    allocated before the input was made (the weights). An OOM is recorded and stops that mode.
    python3 Scripts/measure_serving.py --part vision-profile --out $OUT/vision-profile.json

The JSON is rewritten after every section. Bytes are integers; times are in the unit their key
names (Us = microseconds, Ms = milliseconds).
"""

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback

# Keep NVLink multicast (NVLS) off: the lent multi-GPU machines require it.
os.environ.setdefault("NCCL_NVLS_ENABLE", "0")
os.environ.setdefault("TORCH_SYMM_MEM_DISABLE_MULTICAST", "1")
os.environ.setdefault("NVSHMEM_DISABLE_NVLS", "1")

import torch  # noqa: E402

START = time.perf_counter()
MiB = 1 << 20


def elapsed():
    return time.perf_counter() - START


def log(*args):
    print(f"[{elapsed():6.1f}s]", *args, flush=True)


def r3(x):
    return round(float(x), 3)


def sh(cmd):
    try:
        return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:  # noqa: BLE001
        return f"error: {e}"


def base_environment():
    devices = []
    for i in range(torch.cuda.device_count()):
        free, total = torch.cuda.mem_get_info(i)
        p = torch.cuda.get_device_properties(i)
        devices.append({"index": i, "name": torch.cuda.get_device_name(i), "memGetInfoFreeBytes": free,
                        "memGetInfoTotalBytes": total, "multiprocessors": p.multi_processor_count})
    try:
        nccl = ".".join(str(v) for v in torch.cuda.nccl.version())
    except Exception as e:  # noqa: BLE001
        nccl = f"error: {e}"
    return {
        "python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
        "ncclVersion": nccl, "gpus": devices,
        "cpu": sh("lscpu | grep 'Model name' | head -1 | sed 's/Model name:\\s*//'"), "cpuCores": os.cpu_count(),
        "nvidiaSmi": sh("nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,"
                        "power.limit,temperature.gpu --format=csv"),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("NCCL_", "TORCH_NCCL", "NVSHMEM_",
                                                                       "TORCH_SYMM", "CUDA_"))},
    }


class Recorder:
    def __init__(self, path, result, enabled=True):
        self.path, self.result, self.enabled = path, result, enabled

    def save(self):
        if not self.enabled:
            return
        self.result["elapsedSeconds"] = round(elapsed(), 1)
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.result, f, indent=1)
            f.write("\n")
        os.replace(tmp, self.path)

    def error(self, key, e):
        traceback.print_exc()
        self.result.setdefault("errors", {})[key] = f"{type(e).__name__}: {e}"[:2000]
        self.save()


# ---------------------------------------------------------------------------------------------
# Part 1: all-reduce


def allreduce_sizes():
    """(bytes, label) for bf16 tensors: powers of two 2 B .. 256 MiB, plus decode/prefill sizes."""
    sizes = {}
    b = 2
    while b <= 256 * MiB:
        sizes.setdefault(b, []).append("pow2")
        b *= 2
    for hidden in (3584, 4096, 8192):
        for batch in (1, 8, 32, 256):
            sizes.setdefault(batch * hidden * 2, []).append(f"decode b{batch} h{hidden}")
        for tokens in (2048, 4096):
            sizes.setdefault(tokens * hidden * 2, []).append(f"prefill {tokens}x{hidden}")
    return sorted((k, ", ".join(v)) for k, v in sizes.items())


def event_timed(dist, x, iters, warmup):
    for _ in range(warmup):
        dist.all_reduce(x)
    torch.cuda.synchronize()
    dist.barrier()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    loop0, loop1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    loop0.record()
    for i in range(iters):
        starts[i].record()
        dist.all_reduce(x)
        ends[i].record()
    loop1.record()
    torch.cuda.synchronize()
    per = [s.elapsed_time(e) * 1000 for s, e in zip(starts, ends)]
    return per, loop0.elapsed_time(loop1) * 1000 / iters


def gather_floats(dist, values, world):
    t = torch.tensor(values, dtype=torch.float64, device="cuda")
    out = [torch.empty_like(t) for _ in range(world)]
    dist.all_gather(out, t)
    return [o.tolist() for o in out]


def part_allreduce(args):
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", 0))
    torch.cuda.set_device(local)
    dist.init_process_group("nccl", device_id=torch.device("cuda", local),
                            timeout=datetime.timedelta(seconds=120))
    rank, world = dist.get_rank(), dist.get_world_size()
    factor = 2 * (world - 1) / world
    R = {"part": "allreduce", "worldSize": world, "dtype": "bfloat16", "op": "sum",
         "units": {"bytes": "bytes per rank (tensor size)", "Us": "microseconds", "GBps": "1e9 bytes/s",
                   "algbw": "bytes / time", "busbw": "algbw x 2(n-1)/n"}}
    rec = Recorder(args.out, R, enabled=(rank == 0))
    if rank == 0:
        R["environment"] = base_environment()
        R["environment"]["topology"] = sh("nvidia-smi topo -m")
        R["environment"]["nvlinkStatus"] = sh("nvidia-smi nvlink -s | head -40")
        R["environment"]["peerAccess"] = {f"{i}->{j}": torch.cuda.can_device_access_peer(i, j)
                                          for i in range(torch.cuda.device_count())
                                          for j in range(torch.cuda.device_count()) if i != j}
        rec.save()

    # correctness check
    x = torch.full((1024,), float(rank + 1), dtype=torch.bfloat16, device="cuda")
    dist.all_reduce(x)
    expected = world * (world + 1) / 2
    R["sumCheck"] = {"expected": expected, "got": float(x[0].item()), "ok": bool((x == expected).all().item())}

    # 1. event-timed eager
    rows = []
    try:
        for nbytes, label in allreduce_sizes():
            n = nbytes // 2
            x = torch.ones(n, dtype=torch.bfloat16, device="cuda")
            iters = args.iters if nbytes <= 64 * MiB else max(50, args.iters // 2)
            per, loop_avg = event_timed(dist, x, iters, warmup=10)
            med = statistics.median(per)
            allm = gather_floats(dist, [med, loop_avg], world)
            worst = max(m[0] for m in allm)
            algbw = nbytes / (med * 1e-6) / 1e9
            rows.append({
                "bytes": nbytes, "elements": n, "label": label, "iterations": iters,
                "medianUs": r3(med), "p10Us": r3(sorted(per)[len(per) // 10]),
                "p90Us": r3(sorted(per)[(9 * len(per)) // 10]), "minUs": r3(min(per)),
                "loopAvgUs": r3(loop_avg), "medianUsPerRank": [r3(m[0]) for m in allm],
                "loopAvgUsPerRank": [r3(m[1]) for m in allm], "maxRankMedianUs": r3(worst),
                "algbwGBps": r3(algbw), "busbwGBps": r3(algbw * factor),
                "loopAlgbwGBps": r3(nbytes / (loop_avg * 1e-6) / 1e9),
                "loopBusbwGBps": r3(nbytes / (loop_avg * 1e-6) / 1e9 * factor),
            })
            if rank == 0:
                log(f"{nbytes:>11} B  {med:9.2f} us  loop {loop_avg:9.2f} us  busbw {algbw * factor:8.2f} GB/s  {label}")
            del x
            R["eventTimed"] = rows
            rec.save()
    except Exception as e:  # noqa: BLE001
        rec.error("eventTimed", e)
    torch.cuda.empty_cache()

    small = [(b, l) for b, l in allreduce_sizes() if b <= args.small_max]

    # 2. host-timed eager: dist.all_reduce + torch.cuda.synchronize()
    rows = []
    try:
        for nbytes, label in small:
            x = torch.ones(nbytes // 2, dtype=torch.bfloat16, device="cuda")
            for _ in range(20):
                dist.all_reduce(x)
            torch.cuda.synchronize()
            dist.barrier()
            torch.cuda.synchronize()
            samples = []
            for _ in range(args.host_iters):
                t = time.perf_counter()
                dist.all_reduce(x)
                torch.cuda.synchronize()
                samples.append((time.perf_counter() - t) * 1e6)
            # host cost of a sync alone, for reference
            sync = []
            for _ in range(50):
                t = time.perf_counter()
                torch.cuda.synchronize()
                sync.append((time.perf_counter() - t) * 1e6)
            med = statistics.median(samples)
            allm = gather_floats(dist, [med], world)
            s = sorted(samples)
            rows.append({"bytes": nbytes, "label": label, "iterations": args.host_iters, "medianUs": r3(med),
                         "p10Us": r3(s[len(s) // 10]), "p90Us": r3(s[(9 * len(s)) // 10]), "minUs": r3(s[0]),
                         "medianUsPerRank": [r3(m[0]) for m in allm],
                         "syncAloneMedianUs": r3(statistics.median(sync))})
            if rank == 0:
                log(f"host {nbytes:>9} B  {med:8.2f} us")
            R["hostTimedEager"] = rows
            rec.save()
    except Exception as e:  # noqa: BLE001
        rec.error("hostTimedEager", e)

    # 3. CUDA graph capture
    rows = []
    R["cudaGraph"] = {"status": "started", "opsPerLongGraph": args.graph_ops}
    rec.save()
    try:
        for nbytes, label in small:
            x = torch.ones(nbytes // 2, dtype=torch.bfloat16, device="cuda")
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):  # eager warm-up on the capture stream
                for _ in range(5):
                    dist.all_reduce(x)
            torch.cuda.current_stream().wait_stream(s)
            torch.cuda.synchronize()
            dist.barrier()
            torch.cuda.synchronize()
            g1 = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g1, stream=s):
                dist.all_reduce(x)
            gk = torch.cuda.CUDAGraph()
            with torch.cuda.graph(gk, stream=s):
                for _ in range(args.graph_ops):
                    dist.all_reduce(x)
            torch.cuda.synchronize()
            dist.barrier()
            torch.cuda.synchronize()
            for _ in range(10):
                g1.replay()
                gk.replay()
            torch.cuda.synchronize()
            dist.barrier()
            torch.cuda.synchronize()
            ev1 = []
            for _ in range(args.iters):
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                g1.replay()
                b.record()
                ev1.append((a, b))
            torch.cuda.synchronize()
            one = [a.elapsed_time(b) * 1000 for a, b in ev1]
            dist.barrier()
            torch.cuda.synchronize()
            evk = []
            for _ in range(max(50, args.iters // 2)):
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                gk.replay()
                b.record()
                evk.append((a, b))
            torch.cuda.synchronize()
            perop = [a.elapsed_time(b) * 1000 / args.graph_ops for a, b in evk]
            dist.barrier()
            torch.cuda.synchronize()
            host = []
            for _ in range(args.host_iters):
                t = time.perf_counter()
                g1.replay()
                torch.cuda.synchronize()
                host.append((time.perf_counter() - t) * 1e6)
            # correctness: the captured sum must still add up
            x.fill_(float(rank + 1))
            torch.cuda.synchronize()
            dist.barrier()
            g1.replay()
            torch.cuda.synchronize()
            ok = bool((x == world * (world + 1) / 2).all().item())
            m1, mk, mh = statistics.median(one), statistics.median(perop), statistics.median(host)
            allm = gather_floats(dist, [m1, mk, mh], world)
            rows.append({"bytes": nbytes, "label": label,
                         "oneOpReplayEventMedianUs": r3(m1),
                         "perOpInLongGraphMedianUs": r3(mk),
                         "oneOpReplayHostSyncMedianUs": r3(mh),
                         "perRank": [[r3(v) for v in m] for m in allm],
                         "sumCorrectAfterReplay": ok})
            if rank == 0:
                log(f"graph {nbytes:>9} B  1-op replay {m1:8.2f} us  per-op in {args.graph_ops}-op graph {mk:8.2f} us"
                    f"  host {mh:8.2f} us  ok={ok}")
            del g1, gk
            R["cudaGraph"] = {"status": "ok", "opsPerLongGraph": args.graph_ops, "rows": rows}
            rec.save()
    except Exception as e:  # noqa: BLE001
        R["cudaGraph"] = {"status": "failed", "opsPerLongGraph": args.graph_ops, "rows": rows,
                          "error": f"{type(e).__name__}: {e}"[:2000]}
        rec.error("cudaGraph", e)

    rec.save()
    try:
        dist.barrier()
        dist.destroy_process_group()
    except Exception:  # noqa: BLE001
        pass


# ---------------------------------------------------------------------------------------------
# Part 2: SigLIP vision tower profile


def siglip_model(attn):
    from transformers import SiglipVisionConfig, SiglipVisionModel
    cfg = SiglipVisionConfig(
        hidden_size=1152, intermediate_size=4304, num_attention_heads=16, num_hidden_layers=27,
        patch_size=14, image_size=448, num_channels=3, attn_implementation=attn)
    cfg.vision_use_head = False  # MiniCPM-V's vpm has no attention-pooling head
    torch.manual_seed(0)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("cuda"):
            model = SiglipVisionModel(cfg)
    finally:
        torch.set_default_dtype(old)
    model.eval()
    return model


def part_vision(args):
    import transformers
    R = {"part": "vision-profile", "model": "SiglipVisionModel so400m: hidden 1152, intermediate 4304, 27 layers, "
         "16 heads (head dim 72), patch 14, image 448 (1024 patches), vision_use_head=False, bf16",
         "units": {"bytes": "bytes", "Ms": "milliseconds"}, "slices": args.slices, "modes": {}}
    rec = Recorder(args.out, R)
    R["environment"] = base_environment()
    R["environment"]["transformers"] = transformers.__version__
    R["environment"]["sdpBackendsEnabled"] = {"flash": torch.backends.cuda.flash_sdp_enabled(),
                                              "memEfficient": torch.backends.cuda.mem_efficient_sdp_enabled(),
                                              "cudnn": torch.backends.cuda.cudnn_sdp_enabled(),
                                              "math": torch.backends.cuda.math_sdp_enabled()}
    rec.save()
    heads, patches, layers = 16, 1024, 27
    for mode in args.modes:
        M = {"points": []}
        R["modes"][mode] = M
        gc.collect()
        torch.cuda.empty_cache()
        try:
            before = torch.cuda.memory_allocated()
            model = siglip_model(mode)
            torch.cuda.synchronize()
            weights = torch.cuda.memory_allocated() - before
            M["attnImplementation"] = getattr(model.config, "_attn_implementation", None)
            M["weightsAllocatedBytes"] = weights
            M["parameterBytes"] = sum(p.numel() * p.element_size() for p in model.parameters())
            M["parameters"] = sum(p.numel() for p in model.parameters())
            M["hasHead"] = any(name.split(".")[-1] == "head" for name, _ in model.named_modules())
            rec.save()
        except Exception as e:  # noqa: BLE001
            rec.error(f"build-{mode}", e)
            continue
        for n in args.slices:
            if elapsed() > args.deadline:
                M["points"].append({"slices": n, "status": "skipped", "why": "deadline"})
                rec.save()
                break
            point = {"slices": n, "patches": n * patches,
                     "attentionScoresPerLayer": n * heads * patches * patches}
            x = out = None
            try:
                gc.collect()
                torch.cuda.empty_cache()
                torch.cuda.synchronize()
                base = torch.cuda.memory_allocated()
                base_reserved = torch.cuda.memory_reserved()
                x = torch.randn(n, 3, 448, 448, dtype=torch.bfloat16, device="cuda")
                point["inputBytes"] = x.numel() * x.element_size()
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
                with torch.inference_mode():
                    t = time.perf_counter()
                    out = model(pixel_values=x).last_hidden_state
                    torch.cuda.synchronize()
                    first = (time.perf_counter() - t) * 1000
                peak = torch.cuda.max_memory_allocated() - base
                point["peakAllocatedAboveWeightsBytes"] = peak  # includes the input
                point["peakAllocatedAboveWeightsAndInputBytes"] = peak - point["inputBytes"]
                point["peakReservedAboveBeforeBytes"] = torch.cuda.max_memory_reserved() - base_reserved
                point["peakAllocatedTotalBytes"] = torch.cuda.max_memory_allocated()
                point["peakReservedTotalBytes"] = torch.cuda.max_memory_reserved()
                point["outputBytes"] = out.numel() * out.element_size()
                point["outputShape"] = list(out.shape)
                point["peakAboveWeightsAndInputPerPatchBytes"] = r3((peak - point["inputBytes"]) / (n * patches))
                point["peakAboveWeightsAndInputPerScoreBytes"] = r3(
                    (peak - point["inputBytes"]) / point["attentionScoresPerLayer"])
                del out
                out = None
                reps = 5 if n <= 64 else 3
                samples = []
                with torch.inference_mode():
                    for _ in range(reps):
                        torch.cuda.synchronize()
                        t = time.perf_counter()
                        out = model(pixel_values=x).last_hidden_state
                        torch.cuda.synchronize()
                        samples.append(r3((time.perf_counter() - t) * 1000))
                        del out
                        out = None
                point["firstForwardMs"] = r3(first)
                point["forwardMsSamples"] = samples
                point["forwardMsMedian"] = r3(statistics.median(samples))
                point["status"] = "ok"
                log(f"{mode:5} N={n:4}: peak above weights {peak / 2**30:7.3f} GiB "
                    f"(input {point['inputBytes'] / 2**20:.0f} MiB), {point['forwardMsMedian']:.1f} ms")
            except torch.cuda.OutOfMemoryError as e:
                point["status"] = "oom"
                point["error"] = str(e)[:600]
                point["peakAllocatedBeforeOomTotalBytes"] = torch.cuda.max_memory_allocated()
                log(f"{mode:5} N={n:4}: OOM")
            finally:
                x = out = None
                gc.collect()
                torch.cuda.empty_cache()
            M["points"].append(point)
            rec.save()
            if point["status"] == "oom":
                break
        del model
        gc.collect()
        torch.cuda.empty_cache()
    rec.save()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", required=True, choices=["allreduce", "vision-profile"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--iters", type=int, default=100, help="timed iterations per size (>= 50)")
    ap.add_argument("--host-iters", type=int, default=300)
    ap.add_argument("--graph-ops", type=int, default=20)
    ap.add_argument("--small-max", type=int, default=4 * MiB, help="largest size for host-timed and graph runs")
    ap.add_argument("--slices", type=int, nargs="+", default=[1, 16, 32, 64, 128, 256])
    ap.add_argument("--modes", nargs="+", default=["sdpa", "eager"])
    ap.add_argument("--deadline", type=float, default=330, help="vision: seconds after which no new point starts")
    args = ap.parse_args()
    if args.part == "allreduce":
        part_allreduce(args)
    else:
        part_vision(args)


if __name__ == "__main__":
    sys.exit(main())

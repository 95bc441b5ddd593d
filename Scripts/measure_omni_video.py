#!/usr/bin/env python3
"""Peak GPU memory and prefill time of Qwen2.5-Omni with video and audio input (issue 16).

Builds Qwen2.5-Omni's thinker (audio encoder, vision encoder, Qwen2.5 text model) from
fixtures/models/qwen2.5-omni-7b/config.json with random bf16 weights (transformers'
Qwen2_5OmniThinkerForConditionalGeneration), feeds synthetic processor outputs directly
(pixel_values_videos + video_grid_thw as Qwen2_5OmniProcessor would produce for a video at
`--fps` frames per second and `--resolution` pixels per frame; input_features of 128 mel bins at
100 frames per second for audio), and records for each case:

- the vision tower alone (`get_video_features`): peak above the weights;
- the whole prefill (`model(..., use_cache=True)`: encoders, thinker with its KV cache, and the
  logits the thinker computes for every prompt token): peak, and time (warm-up, then
  `--repeats` runs: median and spread).

Then the talker (Qwen2_5OmniTalkerForConditionalGeneration) alone: weights, and a prefill over
the thinker's context (thinker_to_talker_proj, the talker's decoder with a KV cache, codec_head).

Peaks are torch.cuda.max_memory_allocated after torch.cuda.reset_peak_memory_stats, in bytes.
Each case runs in try/except: an out-of-memory is a result. The JSON is written after every case.

Usage (device):  python3 Scripts/measure_omni_video.py --out $OUT/omni-video-h200.json
Usage (CPU smoke test of the script, tiny config): python3 Scripts/measure_omni_video.py --tiny --device cpu --out /tmp/t.json
"""

import argparse
import copy
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback

import torch
import transformers
from transformers import Qwen2_5OmniTalkerConfig, Qwen2_5OmniThinkerConfig
from transformers import Qwen2_5OmniTalkerForConditionalGeneration, Qwen2_5OmniThinkerForConditionalGeneration

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "fixtures", "models", "qwen2.5-omni-7b", "config.json")

VIDEO_TOKEN = 151656
VISION_START = 151652
VISION_END = 151653
AUDIO_TOKEN = 151646
AUDIO_START = 151647
AUDIO_END = 151648
TEXT_TOKEN = 9707  # any ordinary text token
MEL_FRAMES_PER_SECOND = 100  # WhisperFeatureExtractor: 16 kHz, hop 160


def tiny(config):
    """A small config of the same shape, for testing the script on a CPU."""
    c = copy.deepcopy(config)
    t = c["thinker_config"]
    t["text_config"].update(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                            num_key_value_heads=2, vocab_size=152064)
    t["text_config"]["rope_scaling"] = {"mrope_section": [2, 3, 3], "rope_type": "default", "type": "default"}
    t["audio_config"].update(d_model=64, encoder_attention_heads=4, encoder_ffn_dim=128, encoder_layers=2,
                             output_dim=64)
    t["vision_config"].update(depth=4, hidden_size=64, embed_dim=64, intermediate_size=128, num_heads=4,
                              out_hidden_size=64, fullatt_block_indexes=[1, 3])
    c["talker_config"].update(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                              num_key_value_heads=2, head_dim=16, embedding_size=64)
    c["talker_config"]["rope_scaling"] = {"mrope_section": [2, 3, 3], "rope_type": "default", "type": "default"}
    return c


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def allocated(device):
    return torch.cuda.memory_allocated() if device.type == "cuda" else 0


def reset_peak(device):
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak(device):
    return torch.cuda.max_memory_allocated() if device.type == "cuda" else 0


def part(model, *names):
    """A submodule or method across transformers versions (5.2x: thinker.model.visual; older: thinker.visual)."""
    for name in names:
        obj = model
        try:
            for attr in name.split("."):
                obj = getattr(obj, attr)
            return obj
        except AttributeError:
            continue
    raise AttributeError(f"none of {names} on {type(model).__name__}")


def first_dim(out):
    tensor = getattr(out, "last_hidden_state", out)
    if isinstance(tensor, (tuple, list)):
        tensor = tensor[0]
    return int(tensor.shape[0])


def build(cls, config_cls, sub, attention, device):
    config = config_cls(**sub)
    config._attn_implementation = attention
    for key in ("text_config", "audio_config", "vision_config"):
        if hasattr(config, key):
            getattr(config, key)._attn_implementation = attention
    torch.set_default_dtype(torch.bfloat16)
    with torch.device(device):
        model = cls._from_config(config, attn_implementation=attention, dtype=torch.bfloat16)
    torch.set_default_dtype(torch.float32)
    return model.eval()


def video_inputs(seconds, fps, width, height, vision, device):
    patch = vision["patch_size"]
    temporal = vision["temporal_patch_size"]
    merge = vision["spatial_merge_size"]
    frames = max(temporal, int(round(seconds * fps)))
    frames += (-frames) % temporal
    grid = [frames // temporal, height // patch, width // patch]
    patches = grid[0] * grid[1] * grid[2]
    tokens = patches // (merge * merge)
    pixel = torch.randn(patches, 3 * temporal * patch * patch, dtype=torch.bfloat16, device=device)
    ids = [TEXT_TOKEN] * 8 + [VISION_START] + [VIDEO_TOKEN] * tokens + [VISION_END] + [TEXT_TOKEN] * 16
    ids = torch.tensor([ids], device=device)
    extra = {"pixel_values_videos": pixel, "video_grid_thw": torch.tensor([grid], device=device),
             "video_second_per_grid": torch.tensor([temporal / fps], device=device)}
    return ids, extra, {"frames": frames, "grid_thw": grid, "patches": patches, "video_tokens": tokens}


def audio_inputs(seconds, mel_bins, device):
    frames = int(seconds * MEL_FRAMES_PER_SECOND)
    after_conv = (frames - 1) // 2 + 1
    tokens = (after_conv - 2) // 2 + 1
    features = torch.randn(1, mel_bins, frames, dtype=torch.float32, device=device)
    mask = torch.ones(1, frames, dtype=torch.long, device=device)
    ids = [TEXT_TOKEN] * 8 + [AUDIO_START] + [AUDIO_TOKEN] * tokens + [AUDIO_END] + [TEXT_TOKEN] * 16
    ids = torch.tensor([ids], device=device)
    return ids, {"input_features": features, "feature_attention_mask": mask}, {"mel_frames": frames,
                                                                              "audio_tokens": tokens}


def timed(fn, device, repeats):
    fn()  # warm-up
    sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": len(times)}


def is_oom(error):
    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in str(error).lower()


def run_case(result, name, device, body):
    print(f"[case] {name} ...", flush=True)
    entry = {"case": name}
    start = time.perf_counter()
    try:
        entry.update(body())
        entry["status"] = "ok"
    except Exception as error:  # noqa: BLE001 - every failure is a recorded result
        entry["status"] = "oom" if is_oom(error) else "error"
        entry["error"] = f"{type(error).__name__}: {str(error)[:400]}"
        if entry["status"] == "error":
            traceback.print_exc()
    entry["wall_s"] = round(time.perf_counter() - start, 2)
    if device.type == "cuda":
        entry["max_allocated_bytes_during_case"] = torch.cuda.max_memory_allocated()
    result["cases"].append(entry)
    print(f"[case] {name}: {json.dumps({k: v for k, v in entry.items() if k != 'case'})}", flush=True)
    reset_peak(device)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=CONFIG)
    parser.add_argument("--out", required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="shrink the model (CPU smoke test)")
    parser.add_argument("--attention", default="sdpa,eager")
    parser.add_argument("--video-seconds", default="15,30,60")
    parser.add_argument("--fps", type=float, default=2.0)
    parser.add_argument("--resolution", default="896x672", help="WxH per frame (default: 768 merged tokens, "
                        "the VIDEO_MAX_PIXELS cap of qwen-omni-utils, 768 x 28 x 28)")
    parser.add_argument("--audio-seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--talker", action="store_true", help="also measure the talker")
    parser.add_argument("--skip-vision-alone", action="store_true")
    args = parser.parse_args()

    device = torch.device(args.device)
    with open(args.config) as f:
        config = json.load(f)
    if args.tiny:
        config = tiny(config)
    thinker_config = config["thinker_config"]
    vision = thinker_config["vision_config"]
    width, height = (int(x) for x in args.resolution.lower().split("x"))

    result = {
        "script": "Scripts/measure_omni_video.py",
        "command": " ".join(["python3"] + sys.argv),
        "config": os.path.relpath(args.config, ROOT) if args.config.startswith(ROOT) else args.config,
        "tiny": args.tiny,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "device_total_bytes": torch.cuda.get_device_properties(0).total_memory if device.type == "cuda" else 0,
        "dtype": "bfloat16",
        "fps": args.fps,
        "resolution": [width, height],
        "peak_definition": "torch.cuda.max_memory_allocated after reset_peak_memory_stats (bytes)",
        "cases": [],
    }

    def write():
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
            f.write("\n")

    seconds_list = [float(s) for s in args.video_seconds.split(",") if s]
    for attention in [a for a in args.attention.split(",") if a]:
        reset_peak(device)
        base = allocated(device)
        start = time.perf_counter()
        model = build(Qwen2_5OmniThinkerForConditionalGeneration, Qwen2_5OmniThinkerConfig, thinker_config,
                      attention, device)
        sync(device)
        weights = allocated(device) - base
        parts = {name: sum(p.numel() for p in module.parameters())
                 for name, module in [("audio_tower", part(model, "model.audio_tower", "audio_tower")),
                                      ("visual", part(model, "model.visual", "visual")),
                                      ("language_model", part(model, "model.language_model", "model")),
                                      ("lm_head", model.lm_head)]}
        video_features = part(model, "model.get_video_features", "get_video_features")
        audio_features = part(model, "model.get_audio_features", "get_audio_features")
        result.setdefault("thinker", {})[attention] = {
            "weights_bytes": weights, "parameters": sum(p.numel() for p in model.parameters()),
            "parameters_by_part": parts, "build_s": round(time.perf_counter() - start, 1)}
        print(f"[build] thinker {attention}: {weights / 2**30:.2f} GiB in {time.perf_counter() - start:.1f} s",
              flush=True)
        write()

        for seconds in seconds_list:
            ids, extra, shape = video_inputs(seconds, args.fps, width, height, vision, device)

            if not args.skip_vision_alone:
                def vision_alone(extra=extra, shape=shape):
                    reset_peak(device)
                    before = allocated(device)
                    with torch.inference_mode():
                        out = video_features(extra["pixel_values_videos"], extra["video_grid_thw"])
                    sync(device)
                    top = peak(device)
                    del out

                    def once():
                        with torch.inference_mode():
                            video_features(extra["pixel_values_videos"], extra["video_grid_thw"])
                    return dict(shape, attention=attention, seconds=seconds, kind="vision_tower",
                                weights_bytes=weights, peak_bytes=top, peak_above_start_bytes=top - before,
                                time=timed(once, device, args.repeats))
                run_case(result, f"vision-{attention}-{seconds:g}s", device, vision_alone)
                write()

            def prefill(ids=ids, extra=extra, shape=shape):
                def once():
                    with torch.inference_mode():
                        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True, **extra)
                    return out
                reset_peak(device)
                before = allocated(device)
                out = once()
                sync(device)
                top = peak(device)
                logits_shape = list(out.logits.shape)
                del out
                timing = timed(once, device, args.repeats)
                return dict(shape, attention=attention, seconds=seconds, kind="prefill", weights_bytes=weights,
                            prompt_tokens=ids.shape[1], logits_shape=logits_shape, peak_bytes=top,
                            peak_above_start_bytes=top - before, time=timing)
            run_case(result, f"prefill-video-{attention}-{seconds:g}s", device, prefill)
            write()

        if args.audio_seconds > 0:
            ids, extra, shape = audio_inputs(args.audio_seconds, thinker_config["audio_config"]["num_mel_bins"],
                                             device)

            def audio_alone(extra=extra, shape=shape):
                reset_peak(device)
                before = allocated(device)
                with torch.inference_mode():
                    out = audio_features(extra["input_features"], extra["feature_attention_mask"])
                sync(device)
                top = peak(device)
                tokens = first_dim(out)
                del out

                def once():
                    with torch.inference_mode():
                        audio_features(extra["input_features"], extra["feature_attention_mask"])
                return dict(shape, attention=attention, seconds=args.audio_seconds, kind="audio_tower",
                            encoder_output_tokens=tokens, weights_bytes=weights, peak_bytes=top,
                            peak_above_start_bytes=top - before, time=timed(once, device, args.repeats))
            run_case(result, f"audio-{attention}-{args.audio_seconds:g}s", device, audio_alone)
            write()

            def audio_prefill(ids=ids, extra=extra, shape=shape):
                def once():
                    with torch.inference_mode():
                        return model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True, **extra)
                reset_peak(device)
                before = allocated(device)
                out = once()
                sync(device)
                top = peak(device)
                del out
                timing = timed(once, device, args.repeats)
                return dict(shape, attention=attention, seconds=args.audio_seconds, kind="prefill",
                            weights_bytes=weights, prompt_tokens=ids.shape[1], peak_bytes=top,
                            peak_above_start_bytes=top - before, time=timing)
            run_case(result, f"prefill-audio-{attention}-{args.audio_seconds:g}s", device, audio_prefill)
            write()

        del model
        reset_peak(device)

    if args.talker:
        reset_peak(device)
        base = allocated(device)
        talker = build(Qwen2_5OmniTalkerForConditionalGeneration, Qwen2_5OmniTalkerConfig, config["talker_config"],
                       "sdpa", device)
        sync(device)
        talker_weights = allocated(device) - base
        result["talker"] = {"weights_bytes": talker_weights,
                            "parameters": sum(p.numel() for p in talker.parameters())}
        write()
        embedding = config["talker_config"]["embedding_size"]
        for seconds in seconds_list[:2]:
            _, _, shape = video_inputs(seconds, args.fps, width, height, vision, "meta")
            length = shape["video_tokens"] + 26

            def talker_prefill(length=length, seconds=seconds):
                embeds = torch.randn(1, length, embedding, dtype=torch.bfloat16, device=device)
                positions = torch.arange(length, device=device).view(1, 1, -1).expand(3, 1, -1)

                def once():
                    with torch.inference_mode():
                        hidden = talker.thinker_to_talker_proj(embeds)
                        out = talker.model(inputs_embeds=hidden, position_ids=positions, use_cache=True)
                        return talker.codec_head(out.last_hidden_state)
                reset_peak(device)
                before = allocated(device)
                once()
                sync(device)
                top = peak(device)
                timing = timed(once, device, args.repeats)
                return dict(kind="talker_prefill", seconds=seconds, context_tokens=length,
                            weights_bytes=talker_weights, peak_bytes=top, peak_above_start_bytes=top - before,
                            time=timing)
            run_case(result, f"talker-prefill-{seconds:g}s", device, talker_prefill)
            write()
        del talker

    write()
    print(f"[done] wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()

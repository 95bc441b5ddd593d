#!/usr/bin/env python3
"""Fits the transformers host profile per kernel launch to Scripts/measure_host_cost.py's H200 data.

No GPU and no torch: reads

  fixtures/measurements/host-cost-h200.json             (--part arch: launches per decoder layer)
  fixtures/measurements/host-cost-interleaved-h200.json (--part interleave: per-layer slopes and the
                                                         2- and 8-layer decode medians, all
                                                         architectures measured in turn, 16 sweeps)

and fits, on the architectures in --fit (the others are held out):

  host seconds per launch  s = sum(slope * launches) / sum(launches^2)  (least squares through 0 of
                                                                      each architecture's median
                                                                      per-layer slope)
  hostSecondsPerLayer      = 45 * s (EagerLaunches.reference: the profile's reference layer)
  hostSecondsPerStep       = median over the fitted architectures of (2-layer median - 2 layers'
                             host time - the GPU time of the LM head at 4800 GB/s x 0.70), at least 0
  hostSecondsPerEncoderLayer = the SigLIP tower's per-block forward time (--part vision), host-bound
  timeSpreadLow/High       = the p10 and p90 of every fitted architecture's decode rounds at the
                             larger layer count over their median (how far one round strays from
                             the median on this host)

It refuses a fit with a negative term. Writes the profile (`planner --profile FILE`) and prints each
architecture's per-layer slope against launches x s, held-out ones marked.

    python3 Scripts/fit_host_cost.py --out fixtures/profiles/h200-launches-transformers.json
"""

import argparse
import json
import os
import statistics
import sys

FIT = ["llama", "qwen2", "gemma2", "qwen3", "qwen3moe", "mixtral"]
REFERENCE_LAUNCHES = 45  # Sources/Planner/Model/EagerLaunches.swift
BANDWIDTH, EFFICIENCY = 4800e9, 0.70  # H200 datasheet; RuntimeProfile.transformers.memoryEfficiency
TIED = {"gemma2"}  # the LM head is the embedding


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch-json", default="fixtures/measurements/host-cost-h200.json")
    ap.add_argument("--interleaved-json", default="fixtures/measurements/host-cost-interleaved-h200.json")
    ap.add_argument("--fit", nargs="+", default=FIT)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    arch = json.load(open(args.arch_json))["architectures"]
    inter = json.load(open(args.interleaved_json))["interleaved"]
    lo, hi = min(inter["layerCounts"]), max(inter["layerCounts"])

    launches = {k: v["perLayer"]["launchesPerLayer"] for k, v in arch.items() if "perLayer" in v}
    slopes = {k: v["median"] for k, v in inter["slopes"].items()}
    fit = [k for k in args.fit if k in slopes and k in launches]
    if len(fit) < 2:
        sys.exit("fewer than two architectures to fit")
    s = sum(slopes[k] * launches[k] for k in fit) / sum(launches[k] ** 2 for k in fit) / 1000  # s/launch
    if s <= 0:
        sys.exit(f"refused: host seconds per launch {s} is not positive")

    def head_seconds(k):
        point = arch[k]["byLayers"][0]
        outside = point["parameterBytes"] - point["layers"] * point["layerBytes"]
        head = outside if k in TIED else outside / 2
        return head / (BANDWIDTH * EFFICIENCY)

    intercepts = []
    for k in fit:
        two = inter["configs"][f"{k}-{lo}"]["median"] / 1000
        intercepts.append(two - lo * launches[k] * s - head_seconds(k))
    step = statistics.median(intercepts)
    if step < 0:
        sys.exit(f"refused: hostSecondsPerStep {step} is negative (intercepts {intercepts})")

    ratios = []
    for k in fit:
        config = inter["configs"][f"{k}-{hi}"]
        ratios += [x / config["median"] for x in config["rounds"]]
    ratios.sort()
    low = ratios[int(0.1 * (len(ratios) - 1))]
    high = ratios[int(round(0.9 * (len(ratios) - 1)))]

    print(f"host seconds per launch {s * 1e6:.2f} us (fitted on {', '.join(fit)})")
    print(f"{'arch':10} {'launches':>8} {'slope ms':>9} {'predicted':>9} {'error':>7}")
    for k in sorted(slopes):
        if k not in launches:
            continue
        predicted = launches[k] * s * 1000
        tag = "" if k in fit else "  held out"
        print(f"{k:10} {launches[k]:8.0f} {slopes[k]:9.3f} {predicted:9.3f} {predicted / slopes[k] - 1:+7.1%}{tag}")
    print(f"hostSecondsPerStep {step * 1000:.3f} ms (intercepts {[round(x * 1000, 3) for x in intercepts]})")
    print(f"spread of one round's decode over the median: p10 {low:.2f}, p90 {high:.2f}")

    raw = json.load(open(args.arch_json))
    env = raw["environment"]
    vision = raw.get("vision", {}).get("perBlock")
    profile = {
        "runtime": "transformers",
        "measuredOn": f"{env.get('gpu')} host: {env.get('cpu')}, {env.get('cpuCores')} cores, torch {env.get('torch')}, "
                      f"transformers {env.get('transformers')} ({os.path.basename(args.arch_json)}, "
                      f"{os.path.basename(args.interleaved_json)})",
        "notes": [
            f"Scripts/fit_host_cost.py: host time per kernel launch {s * 1e6:.2f} us, least squares through 0 of the "
            f"median per-layer slope ({lo} to {hi} layers, {inter['sweeps']} interleaved sweeps) against launches per "
            f"layer, fitted on {', '.join(fit)}; held out: {', '.join(k for k in sorted(slopes) if k not in fit)}",
            f"hostSecondsPerLayer: {REFERENCE_LAUNCHES} launches (the reference layer) x {s * 1e6:.2f} us",
            "hostSecondsPerStep: median over the fitted architectures of the 2-layer decode less its layers' host "
            "time and the LM head's read at 4800 GB/s x 0.70",
            f"timeSpreadLow/High: p10 {low:.2f} and p90 {high:.2f} of one round's {hi}-layer decode over the median",
        ],
        "hostSecondsPerLayer": round(REFERENCE_LAUNCHES * s, 9),
        "hostSecondsPerStep": round(step, 9),
        "timeSpreadLow": round(low, 2),
        "timeSpreadHigh": round(high, 2),
    }
    if vision and vision["msPerBlock"] > 0:
        profile["hostSecondsPerEncoderLayer"] = round(vision["msPerBlock"] / 1000, 9)
        profile["notes"].append(
            f"hostSecondsPerEncoderLayer: SigLIP-so400m (448 px, one slice, sdpa) forward at 9 and 27 blocks, "
            f"{vision['msPerBlock']} ms a block ({vision['launchesPerBlock']} launches; GPU busy "
            f"{vision['gpuBusyMsPerBlock']} ms): host-bound")
    with open(args.out, "w") as f:
        json.dump(profile, f, indent=2)
        f.write("\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()

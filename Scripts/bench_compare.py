#!/usr/bin/env python3
"""Compares `planner benchmark` of two release builds, alternating runs so that both see the same
machine: the median over rounds of each case's median, and the ratio new/old.

    swift build -c release --product planner                        # this checkout
    git worktree add ../base <commit> && (cd ../base && swift build -c release --product planner)
    Scripts/bench_compare.py ../base/.build/release/planner .build/release/planner --rounds 5
"""
import argparse
import re
import statistics
import subprocess

LINE = re.compile(r"^(\s*\S.*?)\s{2,}([\d.]+) ms\s+([\d.]+) ms\s+\((\d+)\)\s*$")


def run(binary):
    """Case name -> median milliseconds, for one run of `planner benchmark`."""
    out = subprocess.run([binary, "benchmark"], capture_output=True, text=True, check=True).stdout
    cases, section = {}, ""
    for line in out.splitlines():
        match = LINE.match(line)
        if match:
            name = match.group(1).strip()
            key = f"{section} / {name}" if line.startswith("  ") else name
            cases[key] = float(match.group(2))
        elif line and not line.startswith(" ") and not line.startswith("case /"):
            section = line.split(" (")[0]
    return cases


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    old, new = {}, {}
    for _ in range(args.rounds):
        for binary, into in ((args.old, old), (args.new, new)):
            for name, ms in run(binary).items():
                into.setdefault(name, []).append(ms)
    print(f"{'case':78} {'old ms':>9} {'new ms':>9} {'new/old':>8}  (medians of {args.rounds} rounds)")
    for name in new:
        if name not in old:
            continue
        a, b = statistics.median(old[name]), statistics.median(new[name])
        print(f"{name[:78]:78} {a:9.3f} {b:9.3f} {b / a:8.2f}")


if __name__ == "__main__":
    main()

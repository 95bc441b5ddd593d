#!/usr/bin/env bash
# Fuzzes the GGUF header parser and the graph built from it (with an mmproj) with libFuzzer, for a
# bounded time.
#
#   Scripts/fuzz_gguf.sh [SECONDS] [WORKERS]     (defaults: 60 seconds, 1 worker)
#
# Builds .build-fuzz/fuzz_gguf from the model sources and Tests/Fuzz/FuzzGGUF.swift with
# `swiftc -sanitize=fuzzer,address`, starts from the seeds in Tests/Fuzz/corpus-gguf (written by
# Scripts/make_gguf_fixtures.py; new inputs go to .build-fuzz/corpus-gguf), and leaves any
# crashing input in .build-fuzz/artifacts-gguf/. Exits non-zero if the fuzzer found a crash, a
# leak, a timeout or an out-of-memory input.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
workers="${2:-1}"
build=.build-fuzz
mkdir -p "$build/corpus-gguf" "$build/artifacts-gguf"

sources=(
  Sources/Planner/Model/*.swift
  Sources/Planner/Model/Import/*.swift
  Sources/Planner/Model/Import/GGUF/*.swift
  Sources/Planner/Support/*.swift
  Tests/Fuzz/FuzzGGUF.swift
)
echo "building $build/fuzz_gguf"
swiftc -sanitize=fuzzer,address -parse-as-library -swift-version 6 -O -g -module-name PlannerFuzzGGUF \
  "${sources[@]}" -o "$build/fuzz_gguf"

options=(
  -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=4096
  -artifact_prefix="$build/artifacts-gguf/" -print_final_stats=1
)
if [ "$workers" -gt 1 ]; then
  options+=(-fork="$workers" -ignore_crashes=0)
fi
# Traps must reach libFuzzer as crashes, not Swift's backtracer (which can take seconds per trap).
SWIFT_BACKTRACE=enable=no "$build/fuzz_gguf" "${options[@]}" "$build/corpus-gguf" Tests/Fuzz/corpus-gguf

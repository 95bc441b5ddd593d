#!/usr/bin/env bash
# Fuzzes the safetensors header parser and the config.json importer (and the graph built from
# them) with libFuzzer, for a bounded time.
#
#   Scripts/fuzz_importers.sh [SECONDS] [WORKERS]     (defaults: 60 seconds, 1 worker)
#
# Builds .build-fuzz/fuzz_importers from the model sources and Tests/Fuzz/FuzzImporters.swift
# with `swiftc -sanitize=fuzzer,address`, starts from the seeds in Tests/Fuzz/corpus (new inputs
# go to .build-fuzz/corpus), and leaves any crashing input in .build-fuzz/artifacts/. Exits
# non-zero if the fuzzer found a crash, a leak, a timeout or an out-of-memory input.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
workers="${2:-1}"
build=.build-fuzz
mkdir -p "$build/corpus" "$build/artifacts"

sources=(
  Sources/Planner/Model/*.swift
  Sources/Planner/Model/Import/*.swift
  Sources/Planner/Support/JSONValue.swift
  Sources/Planner/Support/Saturating.swift
  Sources/Planner/Support/ByteCount.swift
  Sources/Planner/Support/NameMatching.swift
  Sources/Planner/Workload/DType.swift
  Tests/Fuzz/FuzzImporters.swift
)
echo "building $build/fuzz_importers"
swiftc -sanitize=fuzzer,address -parse-as-library -swift-version 6 -O -g -module-name PlannerFuzz "${sources[@]}" \
  -o "$build/fuzz_importers"

options=(
  -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=4096
  -artifact_prefix="$build/artifacts/" -print_final_stats=1
)
if [ "$workers" -gt 1 ]; then
  options+=(-fork="$workers" -ignore_crashes=0)
fi
"$build/fuzz_importers" "${options[@]}" "$build/corpus" Tests/Fuzz/corpus

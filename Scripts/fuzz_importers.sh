#!/usr/bin/env bash
# Fuzzes every parser of hostile input with libFuzzer for a bounded time: the safetensors header
# parser, the config.json importer (and the graph built from them), the index file, the
# --gpu-spec and --profile files and the CLI's option parser (Tests/Fuzz/FuzzImporters.swift says
# how an input picks one).
#
#   Scripts/fuzz_importers.sh [SECONDS] [WORKERS]     (defaults: 60 seconds, 1 worker)
#
# Builds .build-fuzz/fuzz_importers with `swiftc -sanitize=fuzzer,address`: the Planner sources as
# a library with testing enabled, then the fuzz target with the CLI's sources (not its @main).
# Starts from the seeds in Tests/Fuzz/corpus (every reproducer of issue 11 is one; new inputs go
# to .build-fuzz/corpus) and leaves any crashing input in .build-fuzz/artifacts/. Exits non-zero
# if the fuzzer found a crash, a leak, a timeout or an out-of-memory input.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
workers="${2:-1}"
build=.build-fuzz
mkdir -p "$build/corpus" "$build/artifacts" "$build/modules"
# A trap is reported by libFuzzer with the input; Swift's own backtracer would only slow it down.
export SWIFT_BACKTRACE=enable=no

flags=(-sanitize=fuzzer,address -swift-version 6 -O -g -parse-as-library)
echo "building $build/libPlanner.a"
swiftc "${flags[@]}" -enable-testing -module-name Planner -emit-module -emit-module-path "$build/modules/Planner.swiftmodule" \
  -emit-library -static -o "$build/libPlanner.a" $(find Sources/Planner -name '*.swift' | sort)
echo "building $build/fuzz_importers"
cli=()
for file in Sources/PlannerCLI/*.swift; do
  [ "$(basename "$file")" = PlannerMain.swift ] || cli+=("$file")
done
swiftc "${flags[@]}" -module-name PlannerFuzz -I "$build/modules" "${cli[@]}" Tests/Fuzz/FuzzImporters.swift \
  "$build/libPlanner.a" -o "$build/fuzz_importers"

options=(
  -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=4096
  -artifact_prefix="$build/artifacts/" -print_final_stats=1
)
if [ "$workers" -gt 1 ]; then
  options+=(-fork="$workers" -ignore_crashes=0)
fi
"$build/fuzz_importers" "${options[@]}" "$build/corpus" Tests/Fuzz/corpus

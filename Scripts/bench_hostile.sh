#!/usr/bin/env bash
# Times issue 11's hostile reproducers (Scripts/hostile_inputs.py) against a planner binary:
# exit code, median wall time of RUNS runs, largest max RSS, and stderr's line count and first
# 100 characters.
#
#   Scripts/bench_hostile.sh [BINARY] [RUNS]   (defaults: .build/release/planner, 5)
#
# Build the binary first (swift build -c release). Each run is cut at 60 s.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/release/planner}"
runs="${2:-5}"
inputs="${TMPDIR:-/tmp}/planner-hostile"
python3 Scripts/hostile_inputs.py "$inputs" > "$inputs.cases"
python3 - "$binary" "$runs" "$inputs.cases" <<'PY'
import json, statistics, subprocess, sys, time
binary, runs, cases = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rssFile = cases + ".rss"
print(f"{'case':58} {'exit':>4} {'median s':>9} {'max RSS MB':>10} {'lines':>5}  stderr")
for line in open(cases):
    case = json.loads(line)
    times, rss, code, err = [], 0, None, b""
    for _ in range(runs):
        start = time.monotonic()
        try:
            p = subprocess.run(["/usr/bin/time", "-o", rssFile, "-f", "%M", binary] + case["args"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        except subprocess.TimeoutExpired:
            times.append(60.0); code = "T/O"; break
        times.append(time.monotonic() - start)
        rss = max(rss, int(open(rssFile).read().split()[-1]) // 1024)
        code, err = p.returncode, p.stderr
    text = err.decode(errors="replace")
    print(f"{case['name'][:58]:58} {code!s:>4} {statistics.median(times):9.3f} {rss:10d} {text.count(chr(10)):5d}  "
          + repr(text[:100]))
PY

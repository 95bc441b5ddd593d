#!/usr/bin/env python3
"""Rewrites every `$ planner ARGS` sample in README.md and Docs/*.md from its golden file.

A sample is a code block starting with "$ planner ARGS"; its golden is the fixtures/golden/*.txt
whose "args:" line is ARGS. The body becomes the golden's stdout (then its stderr, if any), which
is what GoldenTests.readmeSamplesAreGoldenOutputs checks. Review the diff after running it.

    python3 Scripts/sync_doc_samples.py
"""
import glob
import re


def goldens():
    out = {}
    for path in glob.glob("fixtures/golden/*.txt"):
        text = open(path).read()
        m = re.match(r"args: (.*)\n", text)
        if not m:
            continue
        stdout = text.split("--- stdout\n", 1)[1] if "--- stdout\n" in text else ""
        stderr = ""
        if "--- stderr\n" in stdout:
            stdout, stderr = stdout.split("--- stderr\n", 1)
        elif "--- stderr\n" in text:
            stderr = text.split("--- stderr\n", 1)[1]
        out[m.group(1)] = (stdout, stderr)
    return out


def main():
    known = goldens()
    for page in ["README.md"] + sorted(glob.glob("Docs/*.md")):
        text = open(page).read()

        def replace(m):
            args = m.group(1)
            if args not in known:
                return m.group(0)
            stdout, stderr = known[args]
            body = m.group(2)
            new = stdout + stderr if body.endswith(stderr) and stderr and body != stdout else stdout
            return f"```\n$ planner {args}\n{new}```"

        new = re.sub(r"```\n\$ planner ([^\n]*)\n(.*?)```", replace, text, flags=re.S)
        if new != text:
            open(page, "w").write(new)
            print("updated", page)


if __name__ == "__main__":
    main()

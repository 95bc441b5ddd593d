#!/usr/bin/env python3
"""Checks the planner's exported commands with the engines' own tools (run by hand, not in CI).

    python3 -m venv /tmp/sgl-venv && /tmp/sgl-venv/bin/pip install sglang==0.5.23
    VLLM_TARGET_DEVICE=cpu python3 -m venv /tmp/vllm-venv && /tmp/vllm-venv/bin/pip install vllm==0.33.0
    swift build
    Scripts/check_exports.py --part sglang --python /tmp/sgl-venv/bin/python
    Scripts/check_exports.py --part vllm --python /tmp/vllm-venv/bin/python
    Scripts/check_exports.py --part llama          # builds llama-server on CPU (long on 2 cores)

- sglang / vllm: runs `.build/debug/planner` on every golden case (fixtures/golden/*.txt) whose
  arguments ask for `--format sglang` / `--format vllm` and exit 0, takes the command it prints
  (`python -m sglang.launch_server ...` / `vllm serve ...`, environment and comments dropped), and
  parses it with the engine's own argument parser inside the given interpreter: SGLang's
  `ServerArgs.add_cli_args` on an `argparse.ArgumentParser`; vLLM's `FlexibleArgumentParser` with
  `make_arg_parser` (what `vllm serve` builds, the `model_tag` positional included). A flag the engine
  does not know, or a value it rejects, is a failure. The result goes to
  fixtures/measurements/export-checks-<part>.json.
- llama: downloads the llama-cpp-python sdist (`pip download llama-cpp-python==0.3.36
  --no-binary llama-cpp-python --no-deps`), builds its vendored llama.cpp's `llama-server` and
  `ggml-rpc-server` on CPU (`-DGGML_RPC=ON`), writes a small random GGUF of a Qwen2-like shape
  with the `gguf` package, starts two ggml RPC servers on 127.0.0.1 as stand-in devices, runs
  llama-server on them with the exported flags (`--device RPC0,RPC1 --tensor-split ...`), and
  records the buffer sizes and device assignment it printed in
  fixtures/measurements/llama-server-buffers.json.
"""
import argparse
import json
import os
import pathlib
import re
import shlex
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "fixtures" / "golden"
OUT = ROOT / "fixtures" / "measurements"

SGLANG_PARSE = r"""
import argparse, json, sys
from sglang.srt.server_args import ServerArgs
import sglang
parser = argparse.ArgumentParser(exit_on_error=False)
ServerArgs.add_cli_args(parser)
results = []
for argv in json.loads(sys.stdin.read()):
    try:
        ns, unknown = parser.parse_known_args(argv)
        if unknown:
            raise ValueError("unrecognized arguments: " + " ".join(unknown))
        results.append({"ok": True, "parsed": {k: ns.__dict__[k] for k in
            ("model_path", "tp_size", "dp_size", "mem_fraction_static", "context_length",
             "chunked_prefill_size", "dtype")}})
    except (Exception, SystemExit) as error:
        results.append({"ok": False, "error": str(error)})
print(json.dumps({"version": sglang.__version__, "results": results}))
"""

VLLM_PARSE = r"""
import json, sys
import vllm
try:
    from vllm.utils.argparse_utils import FlexibleArgumentParser
except ImportError:
    from vllm.utils import FlexibleArgumentParser
try:
    from vllm.entrypoints.common.cli_args import make_arg_parser  # 0.33
except ImportError:
    from vllm.entrypoints.openai.cli_args import make_arg_parser
parser = make_arg_parser(FlexibleArgumentParser())  # adds the `model_tag` positional itself
results = []
for argv in json.loads(sys.stdin.read()):
    try:
        ns, unknown = parser.parse_known_args(argv)
        if unknown:
            raise ValueError("unrecognized arguments: " + " ".join(unknown))
        results.append({"ok": True, "parsed": {k: getattr(ns, k, None) for k in
            ("model_tag", "tensor_parallel_size", "pipeline_parallel_size", "max_model_len",
             "max_num_seqs", "gpu_memory_utilization")}})
    except (Exception, SystemExit) as error:
        results.append({"ok": False, "error": str(error)})
print(json.dumps({"version": vllm.__version__, "results": results}, default=str))
"""


def golden_cases(fmt):
    """(name, argv) of the golden cases that export `fmt` and succeed."""
    cases = []
    for path in sorted(GOLDEN.glob("*.txt")):
        lines = path.read_text().splitlines()
        if len(lines) < 2 or not lines[0].startswith("args: ") or lines[1] != "exit: 0":
            continue
        argv = shlex.split(lines[0][len("args: "):])
        if "--format" in argv and argv[argv.index("--format") + 1] == fmt:
            cases.append((path.stem, argv))
    return cases


def exported_command(text, program):
    """The argument vector after `program` in the planner's export (comments and environment dropped)."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    words = shlex.split(body.replace("\\\n", " "))
    index = next(i for i in range(len(words)) if words[i:i + len(program)] == program)
    return words[index + len(program):]


def check_engine(part, python):
    fmt, program, script = {
        "sglang": ("sglang", ["python", "-m", "sglang.launch_server"], SGLANG_PARSE),
        "vllm": ("vllm", ["vllm", "serve"], VLLM_PARSE),
    }[part]
    planner = ROOT / ".build" / "debug" / "planner"
    cases = []
    for name, argv in golden_cases(fmt):
        run = subprocess.run([str(planner)] + argv, capture_output=True, text=True, cwd=ROOT)
        cases.append({"golden": name, "args": " ".join(argv), "command": exported_command(run.stdout, program)})
    checked = subprocess.run(
        [python, "-c", script], input=json.dumps([c["command"] for c in cases]), capture_output=True, text=True,
        env={**os.environ, "VLLM_TARGET_DEVICE": "cpu"})
    if checked.returncode != 0:
        sys.exit(f"{part}'s parser did not run: {checked.stderr[-2000:]}")
    report = json.loads(checked.stdout.strip().splitlines()[-1])
    for case, result in zip(cases, report["results"]):
        case.update(result)
    record = {"engine": part, "version": report["version"], "command": f"Scripts/check_exports.py --part {part}",
              "cases": cases}
    (OUT / f"export-checks-{part}.json").write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    failed = [c["golden"] for c in cases if not c["ok"]]
    print(f"{part} {report['version']}: {len(cases) - len(failed)} of {len(cases)} exports parse", failed or "")
    return not failed


def check_llama(work):
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    sdist = next(work.glob("llama_cpp_python-*.tar.gz"), None)
    if sdist is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "llama-cpp-python==0.3.36", "--no-binary",
                        "llama-cpp-python", "--no-deps", "-d", str(work)], check=True)
        sdist = next(work.glob("llama_cpp_python-*.tar.gz"))
    source = work / sdist.name.replace(".tar.gz", "") / "vendor" / "llama.cpp"
    if not source.exists():
        subprocess.run(["tar", "-xzf", str(sdist), "-C", str(work)], check=True)
    build = source / "build"
    subprocess.run(["cmake", "-S", str(source), "-B", str(build), "-DGGML_RPC=ON", "-DBUILD_SHARED_LIBS=OFF",
                    "-DLLAMA_CURL=OFF", "-DGGML_NATIVE=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_OPENSSL=OFF",
                    "-DCMAKE_BUILD_TYPE=Release"], check=True)
    subprocess.run(["cmake", "--build", str(build), "-j", str(os.cpu_count()), "--target", "llama-server",
                    "ggml-rpc-server"], check=True)
    server, rpc = build / "bin" / "llama-server", build / "bin" / "ggml-rpc-server"

    # A Qwen2-like model small enough for CPU: hidden 512, 4 layers, 8 heads, 2 KV heads, FFN 1536,
    # vocabulary 4096, F16 random weights.
    import numpy as np
    import gguf
    shape = {"hidden": 512, "layers": 4, "heads": 8, "kv_heads": 2, "ffn": 1536, "vocab": 4096}
    model = work / "qwen2-shape-f16.gguf"
    writer = gguf.GGUFWriter(str(model), "qwen2")
    writer.add_block_count(shape["layers"])
    writer.add_context_length(32768)
    writer.add_embedding_length(shape["hidden"])
    writer.add_feed_forward_length(shape["ffn"])
    writer.add_head_count(shape["heads"])
    writer.add_head_count_kv(shape["kv_heads"])
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_rope_freq_base(1e6)
    writer.add_file_type(1)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list([f"t{i}" for i in range(shape["vocab"])])
    writer.add_token_types([1] * shape["vocab"])
    writer.add_token_merges([])
    rng = np.random.default_rng(0)
    h, kv = shape["hidden"], shape["hidden"] // shape["heads"] * shape["kv_heads"]

    def tensor(name, *dims, dtype=np.float16):
        writer.add_tensor(name, (rng.standard_normal(dims) * 0.02).astype(dtype))

    tensor("token_embd.weight", shape["vocab"], h)
    for b in range(shape["layers"]):
        tensor(f"blk.{b}.attn_norm.weight", h, dtype=np.float32)
        tensor(f"blk.{b}.attn_q.weight", h, h)
        tensor(f"blk.{b}.attn_q.bias", h, dtype=np.float32)
        tensor(f"blk.{b}.attn_k.weight", kv, h)
        tensor(f"blk.{b}.attn_k.bias", kv, dtype=np.float32)
        tensor(f"blk.{b}.attn_v.weight", kv, h)
        tensor(f"blk.{b}.attn_v.bias", kv, dtype=np.float32)
        tensor(f"blk.{b}.attn_output.weight", h, h)
        tensor(f"blk.{b}.ffn_norm.weight", h, dtype=np.float32)
        tensor(f"blk.{b}.ffn_gate.weight", shape["ffn"], h)
        tensor(f"blk.{b}.ffn_up.weight", shape["ffn"], h)
        tensor(f"blk.{b}.ffn_down.weight", h, shape["ffn"])
    tensor("output_norm.weight", h, dtype=np.float32)
    tensor("output.weight", shape["vocab"], h)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    rpcs = [subprocess.Popen([str(rpc), "-H", "127.0.0.1", "-p", str(port), "-m", "2048"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in (50052, 50053)]
    time.sleep(2)
    runs = []
    try:
        for label, extra in [
            ("one device, -c 4096", ["--device", "RPC0", "-ngl", "5", "-c", "4096"]),
            ("one device, -c 32768", ["--device", "RPC0", "-ngl", "5", "-c", "32768"]),
            ("one device, -fa off", ["--device", "RPC0", "-ngl", "5", "-c", "4096", "-fa", "off"]),
            ("two devices, --tensor-split 2,3", ["--device", "RPC0,RPC1", "-ngl", "5", "--split-mode", "layer",
                                                 "--tensor-split", "2,3", "-c", "4096"]),
        ]:
            argv = [str(server), "-m", str(model), "--rpc", "127.0.0.1:50052,127.0.0.1:50053", "--parallel", "1",
                    "--port", "18080", "--host", "127.0.0.1"] + extra
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            lines, start = [], time.time()
            for line in proc.stdout:
                lines.append(line.rstrip())
                if "server is listening" in line or "main loop" in line or time.time() - start > 120:
                    break
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
            buffers = [l for l in lines if re.search(r"buffer size|KV buffer|assigned to device|offloaded", l)]
            runs.append({"label": label, "args": " ".join(extra), "printed": buffers})
    finally:
        for p in rpcs:
            p.terminate()
    record = {"llama.cpp": "vendored in llama-cpp-python 0.3.36", "model": shape, "dtype": "F16",
              "command": "Scripts/check_exports.py --part llama", "runs": runs}
    (OUT / "llama-server-buffers.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(json.dumps(runs, indent=2))
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["sglang", "vllm", "llama"], required=True)
    parser.add_argument("--python", default=sys.executable, help="the interpreter with the engine installed")
    parser.add_argument("--work", default="/tmp/check-exports", help="where llama.cpp is downloaded and built")
    args = parser.parse_args()
    ok = check_llama(args.work) if args.part == "llama" else check_engine(args.part, args.python)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks the planner's exported commands with the engines' own tools (run by hand, not in CI).

    python3 -m venv /tmp/sgl-venv && /tmp/sgl-venv/bin/pip install sglang==0.5.23
    VLLM_TARGET_DEVICE=cpu python3 -m venv /tmp/vllm-venv && /tmp/vllm-venv/bin/pip install vllm==0.33.0
    swift build
    Scripts/check_exports.py --part sglang --python /tmp/sgl-venv/bin/python
    Scripts/check_exports.py --part vllm --python /tmp/vllm-venv/bin/python
    Scripts/check_exports.py --part llama          # builds llama-server on CPU (long on 2 cores)
    Scripts/check_exports.py --part llama --llama-bin DIR   # with llama-server and ggml-rpc-server built

- sglang / vllm: runs `.build/debug/planner` on every golden case (fixtures/golden/*.txt) whose
  arguments ask for `--format sglang` / `--format vllm` and exit 0, takes the command it prints
  (`python -m sglang.launch_server ...` / `vllm serve ...`, environment and comments dropped), and
  parses it with the engine's own argument parser inside the given interpreter: SGLang's
  `ServerArgs.add_cli_args` on an `argparse.ArgumentParser`; vLLM's `FlexibleArgumentParser` with
  `make_arg_parser` (what `vllm serve` builds, the `model_tag` positional included). A flag the engine
  does not know, or a value it rejects, is a failure. The result goes to
  fixtures/measurements/export-checks-<part>.json.
- llama: builds llama.cpp's `llama-server` and `ggml-rpc-server` on CPU from the llama-cpp-python
  0.3.36 sdist (`pip download llama-cpp-python==0.3.36 --no-binary llama-cpp-python --no-deps`,
  `-DGGML_RPC=ON`; or `--llama-bin DIR` with both already built), writes random F16 GGUFs of real
  architectures scaled down with the `gguf` package (`LLAMA_MODELS`: Qwen2 and Qwen3-MoE), has
  `.build/debug/planner --model FILE.gguf --format llama-cpp ...` export the command for each case
  (`LLAMA_CASES`), starts it on ggml RPC servers on 127.0.0.1 standing in for the GPUs
  (`CUDA_VISIBLE_DEVICES=0,1` becomes `--rpc ... --device RPC0,RPC1`, `-lv 4` added so that the
  buffer sizes are printed), and records the buffers and layer assignment llama-server printed in
  fixtures/measurements/export-checks-llama.json (LlamaServerExportTests holds the planner to it).
  The build takes long on 2 cores; the binaries of the recorded run were built with the same flags
  on a 16-core machine, statically linked (`-DGGML_STATIC=ON -DGGML_OPENMP=OFF
  -DCMAKE_EXE_LINKER_FLAGS=-static`), and run here with `--llama-bin`.
"""
import argparse
import importlib.metadata
import json
import os
import pathlib
import re
import shlex
import shutil
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


LLAMA_SDIST = "llama-cpp-python==0.3.36"
LLAMA_CMAKE = ["-DGGML_RPC=ON", "-DGGML_RPC_RDMA=OFF", "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_CURL=OFF",
               "-DGGML_NATIVE=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_APP=OFF",
               "-DLLAMA_OPENSSL=OFF", "-DLLAMA_USE_PREBUILT_UI=OFF", "-DCMAKE_BUILD_TYPE=Release"]
RPC_PORTS = (50152, 50153, 50154)

# The models: random F16 GGUFs of real architectures, scaled down (the buffers llama-server sizes
# depend on the shapes, not the values).
LLAMA_MODELS = {
    # Qwen2 (Qwen2-7B's layout: q/k/v biases, GQA, gated MLP), hidden 512, 4 layers.
    "qwen2-tiny": {"arch": "qwen2", "hidden": 512, "layers": 4, "heads": 8, "kv_heads": 2, "head_dim": 64,
                   "ffn": 1536, "vocab": 4096},
    # Qwen3-MoE (Qwen3-30B-A3B's layout: q/k norms, 128 experts of which 8 routed, no shared expert),
    # scaled to 8 experts of which 2 routed.
    "qwen3moe-tiny": {"arch": "qwen3moe", "hidden": 512, "layers": 4, "heads": 8, "kv_heads": 2, "head_dim": 64,
                      "ffn": 768, "vocab": 4096, "experts": 8, "experts_used": 2},
}

# A LLaVA-1.5-style mmproj (clip.cpp's "mlp" projector: a CLIP ViT and a 2-layer MLP), scaled down,
# beside a copy of qwen2-tiny in its own folder (the planner takes the mmproj*.gguf beside a model).
LLAMA_MMPROJ = {"image_size": 224, "patch_size": 14, "hidden": 256, "ffn": 1024, "layers": 2, "heads": 4,
                "projection_dim": 512}

# (label, model, planner arguments, changes to the exported command). The planner's export is run
# as printed (CUDA_VISIBLE_DEVICES becomes --device RPC0,RPC1,...); a variant changes one flag of
# it to show what that flag does to the buffers, and says so in its label.
LLAMA_CASES = [
    ("export: one GPU", "qwen2-tiny", ["--gpus", "T4", "--context", "4096"], []),
    ("export: one GPU, --context 32768", "qwen2-tiny", ["--gpus", "T4", "--context", "32768"], []),
    ("export with -fa off: one GPU", "qwen2-tiny", ["--gpus", "T4", "--context", "4096"], ["-fa", "off"]),
    ("export: two GPUs, accelerate's balanced split", "qwen2-tiny",
     ["--gpus", "2xT4", "--strategy", "balanced", "--context", "4096"], []),
    ("export: two GPUs, balanced, --context 32768", "qwen2-tiny",
     ["--gpus", "2xT4", "--strategy", "balanced", "--context", "32768"], []),
    ("export: three GPUs, balanced", "qwen2-tiny", ["--gpus", "3xT4", "--strategy", "balanced", "--context", "4096"],
     []),
    ("export with --tensor-split 1,2,2: three GPUs, the last layer alone on the third", "qwen2-tiny",
     ["--gpus", "3xT4", "--strategy", "balanced", "--context", "4096"], ["--tensor-split", "1,2,2"]),
    ("export: one GPU, --batch 4", "qwen2-tiny", ["--gpus", "T4", "--context", "4096", "--batch", "4"], []),
    ("export: MoE, one GPU", "qwen3moe-tiny", ["--gpus", "T4", "--context", "4096"], []),
    ("export with --n-cpu-moe 2: MoE, one GPU", "qwen3moe-tiny", ["--gpus", "T4", "--context", "4096"],
     ["--n-cpu-moe", "2"]),
    # The GPU capped so that the MoE model fits only with some experts in host memory: the planner
    # chooses --n-cpu-moe itself.
    ("export: MoE, one GPU capped at 450 MiB", "qwen3moe-tiny",
     ["--gpus", "T4", "--context", "4096", "--max-memory", "0:450MiB"], []),
    ("export: VLM (qwen2-tiny with an mmproj), one GPU", "qwen2-tiny+mmproj", ["--gpus", "T4", "--context", "4096"],
     []),
    ("export: VLM, two GPUs, memory strategy", "qwen2-tiny+mmproj",
     ["--gpus", "2xT4", "--strategy", "memory", "--context", "4096"], []),
]


def write_gguf(path, shape):
    """A random F16 GGUF of `shape` written with the `gguf` package (gguf-py)."""
    import numpy as np
    import gguf
    writer = gguf.GGUFWriter(str(path), shape["arch"])
    h, hd = shape["hidden"], shape["head_dim"]
    q, kv, vocab = shape["heads"] * hd, shape["kv_heads"] * hd, shape["vocab"]
    writer.add_block_count(shape["layers"])
    writer.add_context_length(32768)
    writer.add_embedding_length(h)
    writer.add_feed_forward_length(shape["ffn"])
    writer.add_head_count(shape["heads"])
    writer.add_head_count_kv(shape["kv_heads"])
    writer.add_key_length(hd)
    writer.add_value_length(hd)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_rope_freq_base(1e6)
    writer.add_file_type(1)  # MOSTLY_F16
    moe = "experts" in shape
    if moe:
        writer.add_expert_count(shape["experts"])
        writer.add_expert_used_count(shape["experts_used"])
        writer.add_expert_feed_forward_length(shape["ffn"])
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list([f"t{i}" for i in range(vocab)])
    writer.add_token_types([1] * vocab)
    writer.add_token_merges(["t 0"])  # llama.cpp's BPE loader needs at least one merge
    rng = np.random.default_rng(0)

    def tensor(name, *dims, dtype=np.float16):  # numpy order: the reverse of ggml's ne
        writer.add_tensor(name, (rng.standard_normal(dims) * 0.02).astype(dtype))

    tensor("token_embd.weight", vocab, h)
    for b in range(shape["layers"]):
        tensor(f"blk.{b}.attn_norm.weight", h, dtype=np.float32)
        tensor(f"blk.{b}.attn_q.weight", q, h)
        tensor(f"blk.{b}.attn_k.weight", kv, h)
        tensor(f"blk.{b}.attn_v.weight", kv, h)
        tensor(f"blk.{b}.attn_output.weight", h, q)
        tensor(f"blk.{b}.ffn_norm.weight", h, dtype=np.float32)
        if moe:
            e, f = shape["experts"], shape["ffn"]
            tensor(f"blk.{b}.attn_q_norm.weight", hd, dtype=np.float32)
            tensor(f"blk.{b}.attn_k_norm.weight", hd, dtype=np.float32)
            tensor(f"blk.{b}.ffn_gate_inp.weight", e, h, dtype=np.float32)
            tensor(f"blk.{b}.ffn_gate_exps.weight", e, f, h)
            tensor(f"blk.{b}.ffn_up_exps.weight", e, f, h)
            tensor(f"blk.{b}.ffn_down_exps.weight", e, h, f)
        else:
            tensor(f"blk.{b}.attn_q.bias", q, dtype=np.float32)
            tensor(f"blk.{b}.attn_k.bias", kv, dtype=np.float32)
            tensor(f"blk.{b}.attn_v.bias", kv, dtype=np.float32)
            tensor(f"blk.{b}.ffn_gate.weight", shape["ffn"], h)
            tensor(f"blk.{b}.ffn_up.weight", shape["ffn"], h)
            tensor(f"blk.{b}.ffn_down.weight", h, shape["ffn"])
    tensor("output_norm.weight", h, dtype=np.float32)
    tensor("output.weight", vocab, h)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_mmproj(path, shape):
    """A random F16 mmproj of clip.cpp's "mlp" projector (LLaVA-1.5's layout) with the `gguf` package."""
    import numpy as np
    import gguf
    n, ff, patch, side = shape["hidden"], shape["ffn"], shape["patch_size"], shape["image_size"]
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_string("clip.projector_type", "mlp")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.use_gelu", True)
    writer.add_uint32("clip.vision.image_size", side)
    writer.add_uint32("clip.vision.patch_size", patch)
    writer.add_uint32("clip.vision.embedding_length", n)
    writer.add_uint32("clip.vision.feed_forward_length", ff)
    writer.add_uint32("clip.vision.block_count", shape["layers"])
    writer.add_uint32("clip.vision.attention.head_count", shape["heads"])
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-5)
    writer.add_uint32("clip.vision.projection_dim", shape["projection_dim"])
    writer.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    writer.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    writer.add_file_type(1)
    rng = np.random.default_rng(1)

    def tensor(name, *dims, dtype=np.float16):
        writer.add_tensor(name, (rng.standard_normal(dims) * 0.02).astype(dtype))

    f32, out = np.float32, shape["projection_dim"]
    tensor("v.patch_embd.weight", n, 3, patch, patch)
    tensor("v.class_embd", n, dtype=f32)
    tensor("v.position_embd.weight", (side // patch) ** 2 + 1, n)
    tensor("v.pre_ln.weight", n, dtype=f32)
    tensor("v.pre_ln.bias", n, dtype=f32)
    for b in range(shape["layers"]):
        for part in ("attn_q", "attn_k", "attn_v", "attn_out"):
            tensor(f"v.blk.{b}.{part}.weight", n, n)
            tensor(f"v.blk.{b}.{part}.bias", n, dtype=f32)
        for part in ("ln1", "ln2"):
            tensor(f"v.blk.{b}.{part}.weight", n, dtype=f32)
            tensor(f"v.blk.{b}.{part}.bias", n, dtype=f32)
        tensor(f"v.blk.{b}.ffn_up.weight", ff, n)
        tensor(f"v.blk.{b}.ffn_up.bias", ff, dtype=f32)
        tensor(f"v.blk.{b}.ffn_down.weight", n, ff)
        tensor(f"v.blk.{b}.ffn_down.bias", n, dtype=f32)
    tensor("mm.0.weight", out, n)
    tensor("mm.0.bias", out, dtype=f32)
    tensor("mm.2.weight", out, out)
    tensor("mm.2.bias", out, dtype=f32)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def llama_binaries(work, prebuilt):
    """`llama-server` and `ggml-rpc-server`: from `--llama-bin`, or built on CPU from the sdist."""
    if prebuilt:
        directory = pathlib.Path(prebuilt)
        return directory / "llama-server", directory / "ggml-rpc-server"
    sdist = next(work.glob("llama_cpp_python-*.tar.gz"), None)
    if sdist is None:
        subprocess.run([sys.executable, "-m", "pip", "download", LLAMA_SDIST, "--no-binary", "llama-cpp-python",
                        "--no-deps", "-d", str(work)], check=True)
        sdist = next(work.glob("llama_cpp_python-*.tar.gz"))
    source = work / sdist.name.replace(".tar.gz", "") / "vendor" / "llama.cpp"
    if not source.exists():
        subprocess.run(["tar", "-xzf", str(sdist), "-C", str(work)], check=True)
    build = source / "build"
    subprocess.run(["cmake", "-S", str(source), "-B", str(build), "-G", "Ninja"] + LLAMA_CMAKE, check=True)
    subprocess.run(["cmake", "--build", str(build), "-j", str(os.cpu_count()), "--target", "llama-server",
                    "ggml-rpc-server"], check=True)
    return build / "bin" / "llama-server", build / "bin" / "ggml-rpc-server"


def rpc_command(export_text, model_path, extra):
    """The exported llama-server command on ggml RPC devices: CUDA_VISIBLE_DEVICES=a,b becomes
    --device RPC0,RPC1 (or the export's own --device with CUDA renamed RPC), -m the GGUF file."""
    visible = re.search(r"CUDA_VISIBLE_DEVICES=([0-9,]+) llama-server", export_text).group(1).split(",")
    argv = exported_command(export_text, ["llama-server"])
    argv = [a.replace("CUDA", "RPC") if a.startswith("CUDA") else a for a in argv]
    argv[argv.index("-m") + 1] = str(model_path)
    if "--device" not in argv:
        argv += ["--device", ",".join(f"RPC{i}" for i in range(len(visible)))]
    endpoints = ",".join(f"127.0.0.1:{port}" for port in RPC_PORTS[:len(visible)])
    return ["--rpc", endpoints] + argv + extra, len(visible)  # --rpc first: it registers the RPC devices


BUFFER = re.compile(r"(?P<owner>\S+)\s+(?P<kind>model|KV|compute|output) buffer size =\s+(?P<mib>[0-9.]+) MiB")


def parse_llama_log(lines, devices):
    """Per device (RPCi, in --device order) and host: the model, KV and compute buffers in MiB."""
    parsed = {"devices": [{"device": f"RPC{i}", "endpoint": f"127.0.0.1:{RPC_PORTS[i]}"} for i in range(devices)],
              "host": {}}
    for line in lines:
        # clip.cpp's own buffers (the mmproj): its compute buffer and the backend it runs on
        if m := re.search(r"reserve_compute_meta:\s+(\S+) compute buffer size =\s+([0-9.]+) MiB", line):
            port = re.search(r":(\d+)\]", m.group(1))
            owner = parsed["devices"][RPC_PORTS.index(int(port.group(1)))] if port else parsed["host"]
            owner["mmproj_compute_mib"] = float(m.group(2))
            continue
        if m := re.search(r"CLIP using (\S+) backend", line):
            parsed["mmproj_backend"] = m.group(1)
        if m := re.search(r"worst-case memory usage of mmproj is ([0-9.]+) MiB", line):
            parsed["mmproj_estimate_mib"] = float(m.group(1))
        match = BUFFER.search(line)
        if match:
            owner, kind, mib = match["owner"], match["kind"], float(match["mib"])
            port = re.search(r":(\d+)\]", owner)
            key = {"model": "model_mib", "KV": "kv_mib", "compute": "compute_mib", "output": "output_mib"}[kind]
            if port:
                parsed["devices"][RPC_PORTS.index(int(port.group(1)))][key] = mib
            else:
                parsed["host"][key if owner != "CPU_Mapped" else "model_mib"] = mib
        if m := re.search(r"sched copies = (\d+)", line):
            parsed["sched_copies"] = int(m.group(1))
        if m := re.search(r"offloaded (\d+)/(\d+) layers", line):
            parsed["offloaded"] = f"{m.group(1)}/{m.group(2)}"
    return parsed


def run_llama_server(server, argv, log_lines=None):
    """Starts llama-server, reads its log until it listens (or fails), stops it; the log's lines."""
    # -lv 4: llama-server prints the buffer sizes at verbosity 4 (trace) only
    proc = subprocess.Popen([str(server)] + argv + ["-lv", "4", "--host", "127.0.0.1", "--port", "18180"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, start = [], time.time()
    for line in proc.stdout:
        lines.append(re.sub(r"^[0-9.]+ [IWE] ", "", line.rstrip()))
        if "listening on" in line or "exiting" in line or time.time() - start > 300:
            break
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    return lines


def check_llama(work, prebuilt):
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    server, rpc = llama_binaries(work, prebuilt)
    version = subprocess.run([str(server), "--version"], capture_output=True, text=True)
    version = " ".join(l.strip() for l in (version.stdout + version.stderr).splitlines() if l.strip())
    import gguf
    models = {}
    for name, shape in LLAMA_MODELS.items():
        models[name] = work / f"{name}-F16.gguf"
        write_gguf(models[name], shape)
    (work / "vlm").mkdir(exist_ok=True)
    models["qwen2-tiny+mmproj"] = work / "vlm" / "qwen2-tiny-F16.gguf"
    shutil.copyfile(models["qwen2-tiny"], models["qwen2-tiny+mmproj"])
    write_mmproj(work / "vlm" / "mmproj-qwen2-tiny-F16.gguf", LLAMA_MMPROJ)
    planner = ROOT / ".build" / "debug" / "planner"
    servers = [subprocess.Popen([str(rpc), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for port in RPC_PORTS]
    time.sleep(2)
    cases = []
    keep = re.compile(r"buffer size|offload|sched copies|pipeline parallelism|Flash Attention|graph: nodes|"
                      r"n_ctx |n_seq_max|kv_unified|error|failed|mmproj|CLIP using|projector:")
    try:
        for label, name, planner_args, extra in LLAMA_CASES:
            args = ["--model", str(models[name]), "--format", "llama-cpp"] + planner_args
            export = subprocess.run([str(planner)] + args, capture_output=True, text=True, cwd=ROOT)
            if export.returncode != 0:
                cases.append({"label": label, "planner_args": " ".join(planner_args), "ok": False,
                              "error": export.stderr.strip()})
                continue
            argv, devices = rpc_command(export.stdout, models[name], extra)
            lines = run_llama_server(server, argv)
            parsed = parse_llama_log(lines, devices)
            listening = any("listening on" in l for l in lines)
            cases.append({
                "label": label, "model": name, "ok": listening,
                "planner": "planner " + " ".join(["--model", str(models[name].relative_to(work)), "--format",
                                                  "llama-cpp"] + planner_args),
                "export": [l.replace(str(work) + "/", "") for l in export.stdout.splitlines()],
                "command": "llama-server " + " ".join(a.replace(str(work) + "/", "") for a in argv),
                "printed": [l for l in lines if keep.search(l) and "print_info" not in l],
                "parsed": parsed,
            })
            print(f"{label}: {'ok' if listening else 'FAILED'} {json.dumps(parsed)}")
    finally:
        for proc in servers:
            proc.terminate()
    record = {
        "engine": "llama.cpp", "version": version,
        "source": f"vendor/llama.cpp of the {LLAMA_SDIST} sdist, " + (
            "llama-server and ggml-rpc-server prebuilt (--llama-bin; the docstring says how)" if prebuilt
            else "built on CPU with " + " ".join(LLAMA_CMAKE)),
        "gguf": f"gguf-py {importlib.metadata.version('gguf')}",
        "devices": "ggml-rpc-server on 127.0.0.1:" + ",".join(map(str, RPC_PORTS)) + " (CPU backends) as stand-in GPUs",
        "command": "Scripts/check_exports.py --part llama" + (" --llama-bin DIR" if prebuilt else ""),
        "models": LLAMA_MODELS, "cases": cases,
    }
    (OUT / "export-checks-llama.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    failed = [c["label"] for c in cases if not c["ok"]]
    print(f"llama.cpp: {len(cases) - len(failed)} of {len(cases)} exported commands started", failed or "")
    return not failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["sglang", "vllm", "llama"], required=True)
    parser.add_argument("--python", default=sys.executable, help="the interpreter with the engine installed")
    parser.add_argument("--work", default="/tmp/check-exports", help="where llama.cpp is downloaded and built")
    parser.add_argument("--llama-bin", help="a folder with llama-server and ggml-rpc-server already built")
    args = parser.parse_args()
    ok = check_llama(args.work, args.llama_bin) if args.part == "llama" else check_engine(args.part, args.python)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

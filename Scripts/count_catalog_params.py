#!/usr/bin/env python3
"""Counts each catalog model's parameters with transformers, for the planner's own count to be held to.

For every catalog/models/*.json (a Hugging Face config.json plus a "planner" key), builds the model
on PyTorch's meta device from the config alone (no weights, no download) with the Auto class
transformers maps its model_type to, and counts `sum(p.numel() for p in model.parameters())`
(a tied tensor once, buffers not at all: the planner's rule). Writes
fixtures/models/catalog-param-counts.json; Tests/PlannerTests/Model/CatalogParameterCountTests.swift
holds the planner to it. A model transformers has no class for is listed with its reason.

    python3 -m venv /tmp/venv-tf
    /tmp/venv-tf/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu transformers
    /tmp/venv-tf/bin/python Scripts/count_catalog_params.py

Quantization configs are dropped before building: a count is of the model's parameters, not of
how a checkpoint stores them (gpt-oss's MXFP4 experts, DeepSeek-V3's fp8 blocks).
"""
import json
import pathlib
import sys
import warnings

warnings.filterwarnings("ignore")
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
FOLDER = ROOT / "catalog" / "models"
OUTPUT = ROOT / "fixtures" / "models" / "catalog-param-counts.json"

# model_type -> the Auto class whose model the planner's tree mirrors.
MULTIMODAL = {"gemma3", "qwen2_5_vl", "llava", "llava_next", "internvl"}
NO_CLASS = {
    "minicpmv": "MiniCPM-V is remote code (trust_remote_code), not a transformers class",
}


def count(document: dict) -> dict:
    config = {k: v for k, v in document.items() if k not in ("planner", "quantization_config")}
    model_type = config["model_type"]
    if model_type in NO_CLASS:
        return {"parameters": None, "reason": NO_CLASS[model_type]}
    cfg = AutoConfig.for_model(**config)
    auto = AutoModelForImageTextToText if model_type in MULTIMODAL else AutoModelForCausalLM
    with torch.device("meta"):
        model = auto.from_config(cfg)
    return {
        "class": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def main() -> int:
    names = sys.argv[1:]
    result = {}
    for path in sorted(FOLDER.glob("*.json")):
        if names and path.stem not in names:
            continue
        document = json.loads(path.read_text())
        entry = count(document)
        result[path.stem] = entry
        print(f"{path.stem:24} {entry.get('parameters')} {entry.get('class', entry.get('reason'))}", flush=True)
    if names:
        return 0
    fixture = {
        "generatedBy": "Scripts/count_catalog_params.py",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "models": result,
    }
    OUTPUT.write_text(json.dumps(fixture, indent=2, sort_keys=True) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

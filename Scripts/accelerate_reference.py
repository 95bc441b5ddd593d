#!/usr/bin/env python3
"""Reference dumps from the REAL Hugging Face accelerate placement code, for the Swift `planner` tests.

What it does
------------
Builds five models on the meta device (no weights, nothing downloaded) and runs accelerate's own
`compute_module_sizes`, `find_tied_parameters`, `get_max_memory`, `get_balanced_memory` and
`infer_auto_device_map` (all from `accelerate.utils`) on them. It writes:

  fixtures/accelerate/modules-<model>.json   module tree (direct parameters, direct buffers, children in
                                             registration order) + compute_module_sizes for bf16/fp16/fp32/int8
  fixtures/accelerate/device-maps.json       device maps for many max_memory settings x strategies

Models: qwen2-7b, llama-3-8b, mistral-7b, minicpm-v-2.6 (a replica of the openbmb/MiniCPM-V-2_6 remote code:
MiniCPMV = Qwen2ForCausalLM `llm` + navit SigLIP `vpm` + `resampler`), tied-llama-2.4b (MiniCPM-2.4B geometry
with tie_word_embeddings=True).

Setup (exact commands, from the repository root; Python 3.11; only PyPI is needed)
-----------------------------------------------------------------------------------
    python3.11 -m venv .venv-ref
    .venv-ref/bin/pip install --upgrade pip
    .venv-ref/bin/pip install torch==2.13.0+cpu accelerate==1.15.0 transformers==4.57.6
    echo '/.venv-ref/' >> .git/info/exclude        # once; keeps the venv out of git status

Run
---
    .venv-ref/bin/python Scripts/accelerate_reference.py            # writes fixtures/accelerate/
    .venv-ref/bin/python Scripts/accelerate_reference.py --out DIR  # writes elsewhere (e.g. to diff)

The output is deterministic: the script re-executes itself with PYTHONHASHSEED=0 (see "Determinism" below), uses
fixed case lists, and writes JSON with indent=1 and a trailing newline. Rerunning gives byte-identical files.

Monkeypatching (and why it does not change any result)
------------------------------------------------------
This machine has no CUDA. In accelerate 1.15.0 (`accelerate/utils/modeling.py`) the only CUDA query on the
code paths used here, when an explicit `max_memory` dict is passed, is in `get_max_memory`:

    num_devices = torch.cuda.device_count()
    for device in gpu_devices:
        if device >= num_devices or device < 0:
            logger.warning(f"Device {device} is not available, ...")

It only logs; integer GPU keys are kept either way. `get_balanced_memory` counts integer keys directly
("Integer keys always refer to accelerator devices, so they are counted directly") and never calls
torch.cuda; `_init_infer_auto_device_map` and `infer_auto_device_map` do not query devices at all. The
`is_npu/mlu/sdaa/musa/xpu/hpu/mps_available()` probes are all False on this Linux CPU machine, exactly as on a
CUDA machine, so the `else: ... torch.cuda.device_count()` branch is the one taken, as it would be on a real
multi-GPU CUDA host. The 90% reduction in `get_balanced_memory` applies only when max_memory is None, never here.

We patch `torch.cuda.device_count` (only while one case runs) to return the number of integer GPU keys in that
case's max_memory, so the spurious "Device N is not available" warning is not emitted and the code runs exactly
as on a host with that many GPUs. `torch.cuda.is_available` is not consulted on these paths and is not patched.
To prove the patch is inert, every case is also run unpatched and the script asserts both results are equal.

Determinism
-----------
`clean_device_map` (clean_result=True) recurses over a Python `set` of child names and re-inserts collapsed
keys at the end of the OrderedDict, so in principle the KEY ORDER of a cleaned device map can depend on string
hashing (PYTHONHASHSEED); the key set and the values cannot. For the cases here the order was checked to be the
same for PYTHONHASHSEED=0..8, but the script pins PYTHONHASHSEED=0 anyway. Consumers should compare `deviceMap`
as a mapping; `rawDeviceMap` (clean_result=False) is in placement order and hash-independent.

Extra per-case fields in device-maps.json
-----------------------------------------
  noSplitModuleClasses  the list passed to accelerate (from transformers' model._get_no_split_modules("auto"))
  rawDeviceMap          infer_auto_device_map(..., clean_result=False): one key per placed unit, in fill order
  uncoveredTensors      parameter/buffer names that no deviceMap key covers (a split module's DIRECT buffers are
                        dropped by accelerate: it re-queues named_parameters(recurse=False) + named_children())
  warnings              messages of warnings.warn raised by infer_auto_device_map (e.g. offloaded-buffer warning)
  logs                  records of the "accelerate.utils.modeling" logger during infer_auto_device_map
                        (e.g. the INFO "no modules could be assigned to the following devices ...")
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse
import contextlib
import json
import logging
import warnings
from collections import OrderedDict
from functools import partial

import numpy as np
import torch
from torch import nn

import accelerate
import transformers
from accelerate import init_empty_weights
from accelerate.utils import (
    compute_module_sizes,
    find_tied_parameters,
    get_balanced_memory,
    get_max_memory,
    infer_auto_device_map,
)
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    PreTrainedModel,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen2PreTrainedModel,
    SiglipVisionConfig,
)
from transformers.activations import ACT2FN

GiB = 2**30
MiB = 2**20
GB = 10**9
MB = 10**6

VERSIONS = OrderedDict(
    [("torch", torch.__version__), ("transformers", transformers.__version__), ("accelerate", accelerate.__version__)]
)

DTYPES = OrderedDict([("bfloat16", torch.bfloat16), ("float16", torch.float16), ("float32", torch.float32)])


# ---------------------------------------------------------------------------------------------------------------
# MiniCPM-V 2.6 replica (openbmb/MiniCPM-V-2_6 remote code: modeling_minicpmv.py, modeling_navit_siglip.py,
# resampler.py). Only __init__ (module/parameter/buffer registration) matters here; forward passes are omitted.
# Class names, attribute names and registration order follow the remote code.
# ---------------------------------------------------------------------------------------------------------------


class MiniCPMVConfig(Qwen2Config):
    model_type = "minicpmv"

    def __init__(
        self,
        use_cache=True,
        query_num=64,
        image_size=448,
        drop_vision_last_layer=False,
        batch_vision_input=True,
        use_image_id=True,
        vision_batch_size=16,
        vision_config=None,
        **kwargs,
    ):
        self.use_cache = use_cache
        self.query_num = query_num
        self.image_size = image_size
        self.drop_vision_last_layer = drop_vision_last_layer
        self.batch_vision_input = batch_vision_input
        self.use_image_id = use_image_id
        self.vision_batch_size = vision_batch_size
        if vision_config is None:
            vision_config = SiglipVisionConfig(
                hidden_size=1152,
                image_size=980,
                intermediate_size=4304,
                model_type="siglip",
                num_attention_heads=16,
                num_hidden_layers=27,
                patch_size=14,
            )
        elif isinstance(vision_config, dict):
            vision_config = SiglipVisionConfig(**vision_config)
        self.vision_config = vision_config
        self.patch_size = 14
        super().__init__(**kwargs)


# --- modeling_navit_siglip.py ---


class SiglipVisionEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embed_dim = config.hidden_size
        self.image_size = config.image_size
        self.patch_size = config.patch_size
        self.patch_embedding = nn.Conv2d(
            in_channels=config.num_channels,
            out_channels=self.embed_dim,
            kernel_size=self.patch_size,
            stride=self.patch_size,
            padding="valid",
        )
        self.num_patches_per_side = self.image_size // self.patch_size
        self.num_patches = self.num_patches_per_side**2
        self.num_positions = self.num_patches
        self.position_embedding = nn.Embedding(self.num_positions, self.embed_dim)
        # No position_ids buffer in the navit variant (positions are computed per image in forward).


class SiglipAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embed_dim = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = self.embed_dim // self.num_heads
        self.scale = self.head_dim**-0.5
        self.dropout = config.attention_dropout
        # Registration order in the remote code: k, v, q, out.
        self.k_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.v_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.q_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.out_proj = nn.Linear(self.embed_dim, self.embed_dim)


class SiglipMLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.activation_fn = ACT2FN[config.hidden_act]
        self.fc1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.fc2 = nn.Linear(config.intermediate_size, config.hidden_size)


class SiglipEncoderLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed_dim = config.hidden_size
        self._use_flash_attention_2 = config._attn_implementation == "flash_attention_2"
        # (SiglipFlashAttention2 subclasses SiglipAttention with identical parameters; eager is used here.)
        self.self_attn = SiglipAttention(config)
        self.layer_norm1 = nn.LayerNorm(self.embed_dim, eps=config.layer_norm_eps)
        self.mlp = SiglipMLP(config)
        self.layer_norm2 = nn.LayerNorm(self.embed_dim, eps=config.layer_norm_eps)


class SiglipPreTrainedModel(PreTrainedModel):
    config_class = SiglipVisionConfig
    base_model_prefix = "siglip"
    supports_gradient_checkpointing = True
    # NB: the remote code defines no _no_split_modules here.

    def _init_weights(self, module):
        pass


class SiglipEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.layers = nn.ModuleList([SiglipEncoderLayer(config) for _ in range(config.num_hidden_layers)])
        self.gradient_checkpointing = False


class SiglipVisionTransformer(SiglipPreTrainedModel):
    config_class = SiglipVisionConfig
    main_input_name = "pixel_values"
    _supports_flash_attn_2 = True

    def __init__(self, config):
        super().__init__(config)
        self.config = config
        embed_dim = config.hidden_size
        self.embeddings = SiglipVisionEmbeddings(config)
        self.encoder = SiglipEncoder(config)
        self.post_layernorm = nn.LayerNorm(embed_dim, eps=config.layer_norm_eps)
        self._use_flash_attention_2 = config._attn_implementation == "flash_attention_2"
        self.post_init()


# --- resampler.py ---


def get_2d_sincos_pos_embed(embed_dim, image_size):
    if isinstance(image_size, int):
        grid_h_size, grid_w_size = image_size, image_size
    else:
        grid_h_size, grid_w_size = image_size[0], image_size[1]
    grid_h = np.arange(grid_h_size, dtype=np.float32)
    grid_w = np.arange(grid_w_size, dtype=np.float32)
    grid = np.meshgrid(grid_w, grid_h)
    grid = np.stack(grid, axis=0)
    return get_2d_sincos_pos_embed_from_grid(embed_dim, grid)


def get_2d_sincos_pos_embed_from_grid(embed_dim, grid):
    assert embed_dim % 2 == 0
    emb_h = get_1d_sincos_pos_embed_from_grid_new(embed_dim // 2, grid[0])
    emb_w = get_1d_sincos_pos_embed_from_grid_new(embed_dim // 2, grid[1])
    return np.concatenate([emb_h, emb_w], axis=-1)  # (H, W, D)


def get_1d_sincos_pos_embed_from_grid_new(embed_dim, pos):
    assert embed_dim % 2 == 0
    omega = np.arange(embed_dim // 2, dtype=np.float32)
    omega /= embed_dim / 2.0
    omega = 1.0 / 10000**omega
    out = np.einsum("hw,d->hwd", pos, omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=-1)


class MultiheadAttention(nn.MultiheadAttention):
    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        device=None,
        dtype=None,
    ):
        super().__init__(
            embed_dim, num_heads, dropout, bias, add_bias_kv, add_zero_attn, kdim, vdim, batch_first, device, dtype
        )
        # rewrite out_proj layer, with nn.Linear (replaces NonDynamicallyQuantizableLinear in the same slot)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)


class Resampler(nn.Module):
    def __init__(
        self,
        num_queries,
        embed_dim,
        num_heads,
        kv_dim=None,
        norm_layer=partial(nn.LayerNorm, eps=1e-6),
        adaptive=False,
        max_size=(70, 70),
    ):
        super().__init__()
        self.num_queries = num_queries
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.adaptive = adaptive
        self.max_size = max_size
        self.query = nn.Parameter(torch.zeros(self.num_queries, embed_dim))
        if kv_dim is not None and kv_dim != embed_dim:
            self.kv_proj = nn.Linear(kv_dim, embed_dim, bias=False)
        else:
            self.kv_proj = nn.Identity()
        self.attn = MultiheadAttention(embed_dim, num_heads)
        self.ln_q = norm_layer(embed_dim)
        self.ln_kv = norm_layer(embed_dim)
        self.ln_post = norm_layer(embed_dim)
        self.proj = nn.Parameter((embed_dim**-0.5) * torch.randn(embed_dim, embed_dim))
        self._set_2d_pos_cache(self.max_size)

    def _set_2d_pos_cache(self, max_size, device="cpu"):
        pos_embed = torch.from_numpy(get_2d_sincos_pos_embed(self.embed_dim, max_size)).float().to(device)
        self.register_buffer("pos_embed", pos_embed, persistent=False)


# --- modeling_minicpmv.py ---


class MiniCPMVPreTrainedModel(Qwen2PreTrainedModel):
    config_class = MiniCPMVConfig


class MiniCPMV(MiniCPMVPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.llm = Qwen2ForCausalLM(config)
        self.vpm = self.init_vision_module()
        self.vision_dim = self.vpm.embed_dim
        self.embed_dim = self.llm.config.hidden_size
        self.resampler = self.init_resampler(self.embed_dim, self.vision_dim)
        self.processor = None  # remote code: AutoProcessor.from_pretrained(...) (not a module)
        self.terminators = ["<|im_end|>", "<|endoftext|>"]

    def init_vision_module(self):
        if self.config._attn_implementation == "flash_attention_2":
            self.config.vision_config._attn_implementation = "flash_attention_2"
        else:
            self.config.vision_config._attn_implementation = "eager"
        model = SiglipVisionTransformer(self.config.vision_config)
        if self.config.drop_vision_last_layer:
            model.encoder.layers = model.encoder.layers[:-1]
        setattr(model, "embed_dim", model.embeddings.embed_dim)
        setattr(model, "patch_size", model.embeddings.patch_size)
        return model

    def init_resampler(self, embed_dim, vision_dim):
        return Resampler(
            num_queries=self.config.query_num,
            embed_dim=embed_dim,
            num_heads=embed_dim // 128,
            kv_dim=vision_dim,
            adaptive=True,
        )

    def get_input_embeddings(self):
        return self.llm.get_input_embeddings()

    def get_output_embeddings(self):
        return self.llm.lm_head


# ---------------------------------------------------------------------------------------------------------------
# Model builders
# ---------------------------------------------------------------------------------------------------------------

QWEN2_7B = dict(
    hidden_size=3584,
    num_hidden_layers=28,
    num_attention_heads=28,
    num_key_value_heads=4,
    intermediate_size=18944,
    vocab_size=152064,
    max_position_embeddings=131072,
    rope_theta=1e6,
    rms_norm_eps=1e-6,
    tie_word_embeddings=False,
)


def build_qwen2_7b():
    return Qwen2ForCausalLM(Qwen2Config(**QWEN2_7B))


def build_llama_3_8b():
    return LlamaForCausalLM(
        LlamaConfig(
            hidden_size=4096,
            num_hidden_layers=32,
            num_attention_heads=32,
            num_key_value_heads=8,
            intermediate_size=14336,
            vocab_size=128256,
            max_position_embeddings=8192,
            rope_theta=5e5,
            tie_word_embeddings=False,
        )
    )


def build_mistral_7b():
    return MistralForCausalLM(
        MistralConfig(
            hidden_size=4096,
            num_hidden_layers=32,
            num_attention_heads=32,
            num_key_value_heads=8,
            intermediate_size=14336,
            vocab_size=32000,
            max_position_embeddings=32768,
            rope_theta=1e4,
            sliding_window=4096,
            tie_word_embeddings=False,
        )
    )


def build_minicpm_v_2_6():
    cfg = dict(QWEN2_7B)
    cfg.update(vocab_size=151666, max_position_embeddings=32768)
    return MiniCPMV(MiniCPMVConfig(**cfg))


def build_tied_llama_2_4b():
    # tie_weights() is applied by build(), after leaving init_empty_weights
    return LlamaForCausalLM(
        LlamaConfig(
            hidden_size=2304,
            num_hidden_layers=40,
            num_attention_heads=36,
            num_key_value_heads=36,
            intermediate_size=5760,
            vocab_size=122753,
            tie_word_embeddings=True,
        )
    )


# name -> (builder, expected parameter count, expected no_split_module_classes)
MODELS = OrderedDict(
    [
        ("qwen2-7b", (build_qwen2_7b, 7_615_616_512, ["Qwen2DecoderLayer"])),
        ("llama-3-8b", (build_llama_3_8b, 8_030_261_248, ["LlamaDecoderLayer"])),
        ("mistral-7b", (build_mistral_7b, 7_241_732_096, ["MistralDecoderLayer"])),
        ("minicpm-v-2.6", (build_minicpm_v_2_6, 8_099_175_152, ["Qwen2DecoderLayer"])),
        # 122753*2304 (embed, tied with lm_head) + 40 * 61,051,392 (layer) + 2304 (norm)
        ("tied-llama-2.4b", (build_tied_llama_2_4b, 2_724_880_896, ["LlamaDecoderLayer"])),
    ]
)

MINICPM_PART_COUNTS = OrderedDict([("llm", 7_612_763_648), ("vpm", 417_792_240), ("resampler", 68_619_264)])


def build(name):
    builder = MODELS[name][0]
    torch.set_default_dtype(torch.float32)
    with init_empty_weights():
        model = builder()
    # Tie outside init_empty_weights: inside it, accelerate's patched register_parameter re-wraps every assigned
    # Parameter in a new meta Parameter, so `lm_head.weight = embed_tokens.weight` would NOT share the tensor
    # (post_init's own tying is lost the same way). transformers' from_pretrained also calls tie_weights() before
    # computing the device map. A no-op for the untied models.
    model.tie_weights()
    return model


# ---------------------------------------------------------------------------------------------------------------
# Dump helpers
# ---------------------------------------------------------------------------------------------------------------


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def module_tree(name, module):
    non_persistent = module._non_persistent_buffers_set
    return OrderedDict(
        [
            ("name", name),
            ("class", module.__class__.__name__),
            (
                "parameters",
                [
                    OrderedDict([("name", n), ("shape", list(p.shape)), ("dtype", dtype_name(p.dtype))])
                    for n, p in module.named_parameters(recurse=False)
                ],
            ),
            (
                "buffers",
                [
                    OrderedDict(
                        [
                            ("name", n),
                            ("shape", list(b.shape)),
                            ("dtype", dtype_name(b.dtype)),
                            ("persistent", n not in non_persistent),
                        ]
                    )
                    for n, b in module.named_buffers(recurse=False)
                ],
            ),
            ("children", [module_tree(n, c) for n, c in module.named_children()]),
        ]
    )


def sizes_dict(model, dtype):
    sizes = compute_module_sizes(model, dtype=dtype)
    out = OrderedDict()
    for k, v in sizes.items():
        assert isinstance(v, int), (k, v)
        out[k] = v
    return out


def write_json(path, obj):
    text = json.dumps(obj, indent=1, sort_keys=False, ensure_ascii=True) + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return len(text.encode("utf-8"))


def no_split_classes_from_transformers(model):
    return sorted(model._get_no_split_modules("auto"))


def dump_modules(name, model, no_split):
    out = OrderedDict()
    out["model"] = name
    out["versions"] = VERSIONS
    out["class"] = model.__class__.__name__
    out["parameterCount"] = sum(p.numel() for p in model.parameters())
    out["noSplitModuleClasses"] = no_split
    out["tiedParameters"] = find_tied_parameters(model)
    out["root"] = module_tree("", model)
    out["moduleSizes"] = OrderedDict((dn, sizes_dict(model, dt)) for dn, dt in DTYPES.items())
    try:
        out["moduleSizesInt8"] = sizes_dict(model, torch.int8)
    except Exception:  # accelerate does not accept it: skip silently
        pass
    return out


# ---------------------------------------------------------------------------------------------------------------
# Device-map cases
# ---------------------------------------------------------------------------------------------------------------

STRATEGIES = ["sequential", "balanced", "balanced_low_0"]


def common_settings():
    """Settings shared by the four ~7-8B models (bf16 totals 14.5-16.2 GB; embedding/lm_head 0.26-1.09 GB)."""
    return [
        ("2gpu-even-roomy", [(0, 12 * GiB), (1, 12 * GiB)]),
        ("2gpu-even-tight", [(0, int(8.35 * GiB)), (1, int(8.35 * GiB))]),
        ("2gpu-hetero-12GB-6GiB", [(0, 12 * GB), (1, 6 * GiB)]),
        ("2gpu-hetero-6GiB-12GB", [(0, 6 * GiB), (1, 12 * GB)]),
        ("3gpu-unequal", [(0, 5 * GiB), (1, int(7.5 * GB)), (2, 6 * GiB)]),
        ("3gpu-even-10GiB", [(0, 10 * GiB), (1, 10 * GiB), (2, 10 * GiB)]),
        ("4gpu-unequal", [(0, int(3.5 * GiB)), (1, 4 * GB), (2, 6 * GiB), (3, 5 * GB)]),
        ("2gpu-cpu-overflow", [(0, 4 * GiB), (1, int(4.5 * GB)), ("cpu", 32 * GiB)]),
        ("2gpu-cpu-disk-overflow", [(0, 3 * GiB), (1, int(2.5 * GB)), ("cpu", 5 * GiB)]),
        ("1gpu-all-fits", [(0, 24 * GiB)]),
        ("2gpu-all-fits-gpu0", [(0, 40 * GiB), (1, 40 * GB)]),
        ("2gpu-gpu0-below-embedding", [(0, 900 * MB), (1, 20 * GiB)]),
        ("2gpu-gpu0-tiny", [(0, 200 * MiB), (1, 20 * GiB), ("cpu", 8 * GiB)]),
        ("3gpu-gpu0-zero", [(0, 0), (1, 9 * GiB), (2, 9 * GiB)]),
    ]


def model_specific_settings(name, model, no_split):
    """MiniCPM-V settings derived from the model's own sizes, to land a device boundary inside vpm / resampler.

    A boundary there cannot be made on GPU 0: GPU 0 keeps room for the largest layer (the 1.09 GB embedding /
    lm_head) until lm_head is placed, and that room alone exceeds vpm + resampler (~1.0 GB). So GPU 0 gets a fixed
    6 GiB, a probe run of infer_auto_device_map (itself accelerate) tells how much of the model lands there, and
    GPU 1 (not a "main device", so no reserve) gets exactly the remainder up to the chosen cut; GPU 2 takes the rest.
    """
    out = []
    if name != "minicpm-v-2.6":
        return out
    dtype = torch.bfloat16
    sizes = compute_module_sizes(model, dtype=dtype)
    probe_mm = [(0, 6 * GiB), (1, 64 * GiB)]
    with cuda_device_count(2):
        raw = infer_auto_device_map(
            model, max_memory=dict(probe_mm), no_split_module_classes=no_split, dtype=dtype, clean_result=False
        )
    used0 = sum(sizes[k] for k, v in raw.items() if v == 0)
    rest = sizes[""] - used0
    # boundary inside the resampler: it gets split into query/kv_proj/attn/ln_q/ln_kv/ln_post/proj; its direct
    # buffer `pos_embed` is not part of named_parameters(recurse=False)+named_children(), so no key covers it.
    b1 = rest - sizes["resampler"] // 2
    out.append(("3gpu-boundary-in-resampler", [(0, 6 * GiB), (1, b1), (2, 4 * GiB)]))
    # boundary inside vpm.encoder: GPU 1 ends after vision encoder layer 9 (+12345 spare bytes)
    tail = sizes["resampler"] + sizes["vpm"] - sizes["vpm.embeddings"] - 10 * sizes["vpm.encoder.layers.0"]
    b1 = rest - tail + 12345
    out.append(("3gpu-boundary-in-vpm", [(0, 6 * GiB), (1, b1), (2, 4 * GiB)]))
    return out


def tied_settings():
    """MiniCPM-2.4B geometry, tied embeddings (bf16 total ~5.45 GB, embedding 0.566 GB)."""
    return [
        ("2gpu-even-roomy", [(0, 4 * GiB), (1, 4 * GiB)]),
        ("2gpu-even-tight", [(0, int(2.95 * GiB)), (1, int(2.95 * GiB))]),
        ("2gpu-hetero-4GB-2GiB", [(0, 4 * GB), (1, 2 * GiB)]),
        ("2gpu-hetero-2GiB-4GB", [(0, 2 * GiB), (1, 4 * GB)]),
        ("3gpu-unequal", [(0, int(1.5 * GiB)), (1, 2 * GB), (2, 3 * GiB)]),
        ("2gpu-cpu-overflow", [(0, 1 * GiB), (1, int(1.5 * GB)), ("cpu", 16 * GiB)]),
        ("2gpu-cpu-disk-overflow", [(0, 1 * GiB), (1, 1 * GB), ("cpu", int(1.2 * GiB))]),
        ("1gpu-all-fits", [(0, 8 * GiB)]),
        ("2gpu-gpu0-below-embedding", [(0, 500 * MB), (1, 8 * GiB)]),
    ]


def extra_dtype_cases():
    """(model, dtype, setting name, max_memory) for float16 / float32."""
    return [
        ("qwen2-7b", "float16", "2gpu-even-tight", [(0, int(8.35 * GiB)), (1, int(8.35 * GiB))]),
        ("qwen2-7b", "float16", "3gpu-unequal", [(0, 5 * GiB), (1, int(7.5 * GB)), (2, 6 * GiB)]),
        ("llama-3-8b", "float16", "2gpu-cpu-overflow", [(0, 4 * GiB), (1, int(4.5 * GB)), ("cpu", 32 * GiB)]),
        ("minicpm-v-2.6", "float16", "2gpu-hetero-6GiB-12GB", [(0, 6 * GiB), (1, 12 * GB)]),
        ("qwen2-7b", "float32", "2gpu-even-20GiB", [(0, 20 * GiB), (1, 20 * GiB)]),
        ("qwen2-7b", "float32", "2gpu-cpu-overflow", [(0, 12 * GiB), (1, 12 * GB), ("cpu", 64 * GiB)]),
        ("mistral-7b", "float32", "4gpu-even-8GiB", [(0, 8 * GiB), (1, 8 * GiB), (2, 8 * GiB), (3, 8 * GiB)]),
        ("minicpm-v-2.6", "float32", "3gpu-unequal", [(0, 10 * GiB), (1, int(11.5 * GB)), (2, 12 * GiB)]),
        ("tied-llama-2.4b", "float32", "2gpu-even", [(0, 6 * GiB), (1, 6 * GiB)]),
    ]


@contextlib.contextmanager
def cuda_device_count(n):
    """Make torch.cuda.device_count() report n devices (see module docstring)."""
    original = torch.cuda.device_count
    torch.cuda.device_count = lambda: n
    try:
        yield
    finally:
        torch.cuda.device_count = original


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append([record.levelname, record.getMessage()])


def run_accelerate(model, max_memory_pairs, strategy, dtype, no_split):
    """Exactly what from_pretrained(device_map=strategy) / load_checkpoint_and_dispatch do in accelerate."""
    mm = OrderedDict(max_memory_pairs)  # int keys for GPUs, "cpu"/"disk" strings
    if strategy == "sequential":
        effective = get_max_memory(dict(mm))
    else:
        effective = get_balanced_memory(
            model,
            max_memory=dict(mm),
            no_split_module_classes=no_split,
            dtype=dtype,
            low_zero=(strategy == "balanced_low_0"),
        )
    effective = OrderedDict(effective)
    log = logging.getLogger("accelerate.utils.modeling")
    handler = _ListHandler()
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            device_map = infer_auto_device_map(
                model, max_memory=dict(effective), no_split_module_classes=no_split, dtype=dtype
            )
            raw_map = infer_auto_device_map(
                model, max_memory=dict(effective), no_split_module_classes=no_split, dtype=dtype, clean_result=False
            )
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    msgs = [str(w.message) for w in caught]
    # the two calls produce the same messages; keep those of the first call
    half = len(msgs) // 2
    assert msgs[:half] == msgs[half:], msgs
    logs = handler.records
    lhalf = len(logs) // 2
    assert logs[:lhalf] == logs[lhalf:], logs
    return effective, device_map, raw_map, msgs[:half], logs[:lhalf]


def device_value(v):
    if isinstance(v, int):
        return v
    assert v in ("cpu", "disk"), v
    return v


def key_str(k):
    return str(k)


def uncovered_tensors(model, device_map):
    """Parameter/buffer names not covered by any device-map key (what dispatch_model would have no device for)."""
    keys = list(device_map.keys())
    out = []
    names = [n for n, _ in model.named_parameters()] + [n for n, _ in model.named_buffers()]
    for n in names:
        if not any(k == "" or n == k or n.startswith(k + ".") for k in keys):
            out.append(n)
    return out


def make_cases(models, no_splits):
    cases = []
    for name in ["qwen2-7b", "llama-3-8b", "mistral-7b", "minicpm-v-2.6"]:
        settings = common_settings() + model_specific_settings(name, models[name], no_splits[name])
        for sname, mm in settings:
            for strategy in STRATEGIES:
                cases.append((f"{name}-{strategy}-{sname}", name, "bfloat16", strategy, mm))
    for sname, mm in tied_settings():
        for strategy in STRATEGIES:
            cases.append((f"tied-llama-2.4b-{strategy}-{sname}", "tied-llama-2.4b", "bfloat16", strategy, mm))
    for name, dt, sname, mm in extra_dtype_cases():
        for strategy in STRATEGIES:
            cases.append((f"{name}-{dt}-{strategy}-{sname}", name, dt, strategy, mm))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--out", default=os.path.join(repo_root, "fixtures", "accelerate"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    transformers.logging.set_verbosity_error()
    torch.manual_seed(0)

    models = OrderedDict()
    no_splits = OrderedDict()
    written = []
    for name, (_, expected_count, expected_no_split) in MODELS.items():
        model = build(name)
        count = sum(p.numel() for p in model.parameters())
        assert count == expected_count, (name, count, expected_count)
        if name == "minicpm-v-2.6":
            for part, expected in MINICPM_PART_COUNTS.items():
                got = sum(p.numel() for p in getattr(model, part).parameters())
                assert got == expected, (part, got, expected)
        no_split = no_split_classes_from_transformers(model)
        assert no_split == expected_no_split, (name, no_split)
        models[name] = model
        no_splits[name] = no_split
        path = os.path.join(args.out, f"modules-{name}.json")
        size = write_json(path, dump_modules(name, model, no_split))
        written.append((path, size))

    results = []
    summary = OrderedDict()
    for cname, mname, dname, strategy, mm in make_cases(models, no_splits):
        model = models[mname]
        dtype = DTYPES[dname]
        n_gpus = len([k for k, _ in mm if isinstance(k, int)])
        with cuda_device_count(n_gpus):
            effective, dmap, raw, msgs, logs = run_accelerate(model, mm, strategy, dtype, no_splits[mname])
        # prove the patch is inert (only a warning differs without it)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.getLogger("accelerate.utils.modeling").disabled = True
            try:
                effective2, dmap2, raw2, _, _ = run_accelerate(model, mm, strategy, dtype, no_splits[mname])
            finally:
                logging.getLogger("accelerate.utils.modeling").disabled = False
        assert (effective2, dict(dmap2), raw2) == (effective, dict(dmap), raw), cname
        for v in effective.values():
            assert isinstance(v, int), (cname, effective)
        case = OrderedDict()
        case["name"] = cname
        case["model"] = mname
        case["dtype"] = dname
        case["strategy"] = strategy
        case["noSplitModuleClasses"] = no_splits[mname]
        case["maxMemory"] = [[key_str(k), v] for k, v in mm]
        case["effectiveMaxMemory"] = [[key_str(k), v] for k, v in effective.items()]
        case["deviceMap"] = [[k, device_value(v)] for k, v in dmap.items()]
        case["rawDeviceMap"] = [[k, device_value(v)] for k, v in raw.items()]
        case["uncoveredTensors"] = uncovered_tensors(model, dmap)
        case["warnings"] = msgs
        case["logs"] = logs
        results.append(case)
        key = (mname, dname, strategy)
        summary[key] = summary.get(key, 0) + 1

    path = os.path.join(args.out, "device-maps.json")
    size = write_json(path, OrderedDict([("versions", VERSIONS), ("cases", results)]))
    written.append((path, size))

    print("versions:", dict(VERSIONS))
    for p, s in written:
        print(f"wrote {os.path.relpath(p, repo_root)} ({s} bytes)")
    print(f"{len(results)} device-map cases:")
    for (m, d, s), n in summary.items():
        print(f"  {m:16s} {d:9s} {s:15s} {n}")


if __name__ == "__main__":
    main()

"""Components several checkpoints share: the T5 family of text encoders, CLIP's text tower, tiny stand-ins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generation.architecture import Architecture, ComponentSpec
from generation.tokenizers import CLIP_VOCAB_SIZE, WORD_VOCAB_SIZE

# google/t5-v1_1-xxl's encoder, as LTX-Video and CogVideoX ship it.
# https://huggingface.co/foreverpiano/mochi/blob/main/text_encoder/config.json (the standard XXL config);
# LTX-Video-0.9.7-dev/text_encoder holds 4.99 + 5 + 4.87 + 4.19 = 19.05 GB of fp32 (4.7625B parameters):
# https://huggingface.co/Lightricks/LTX-Video-0.9.7-dev/tree/main/text_encoder
T5_XXL = {
    "vocab_size": 32128,
    "d_model": 4096,
    "d_kv": 64,
    "d_ff": 10240,
    "num_layers": 24,
    "num_heads": 64,
    "feed_forward_proj": "gated-gelu",
    "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128,
    "layer_norm_epsilon": 1e-6,
    "tie_word_embeddings": False,
}
T5_XXL_PARAMS = 4_762_500_000

# UMT5-XXL's encoder, as every Wan checkpoint ships it.
# https://huggingface.co/nvidia/AnyFlow-Wan2.1-T2V-1.3B-Diffusers/blob/main/text_encoder/config.json
# (its _name_or_path is Wan-AI/Wan2.1-T2V-1.3B-Diffusers/text_encoder). Wan2.1-T2V-1.3B-Diffusers/text_encoder
# holds 4.97 + 4.9 + 4.97 + 5 + 2.89 = 22.73 GB of fp32 (5.6825B parameters):
# https://huggingface.co/Wan-AI/Wan2.1-T2V-1.3B-Diffusers/tree/main/text_encoder ; the Wan 2.2 repos hold
# 11.36 GB of bf16 (https://huggingface.co/Wan-AI/Wan2.2-TI2V-5B-Diffusers/tree/main/text_encoder).
UMT5_XXL = {**T5_XXL, "vocab_size": 256384}
UMT5_XXL_PARAMS = 5_682_500_000

# openai/clip-vit-large-patch14's text tower (HunyuanVideo's text_encoder_2, SD 1.5, Kandinsky 5).
# https://huggingface.co/magespace/hyvideo-diffusers/blob/899dfe773e9c6f6320d4bf9e1dbed06bd41ddfac/text_encoder_2/config.json
# 246 MB of fp16 (123M parameters): https://huggingface.co/jobs-git/HunyuanVideoCommunity/tree/main/text_encoder_2
CLIP_L_TEXT = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "max_position_embeddings": 77,
    "projection_dim": 768,
    "vocab_size": 49408,
    "hidden_act": "quick_gelu",
    "bos_token_id": 0,
    "eos_token_id": 2,
    "pad_token_id": 1,
    "layer_norm_eps": 1e-5,
}
CLIP_L_TEXT_PARAMS = 123_000_000


# Qwen2.5-VL-7B-Instruct's language model (HunyuanVideo 1.5's text encoder; Kandinsky 5's, with its vision
# tower): its text config as copied in third-party code that loads the checkpoint (the ComfyUI and
# TensorRT-LLM loaders), whose size the Qwen2.5 report confirms (arXiv:2412.15115, table 1).
QWEN25_7B_TEXT = {
    "hidden_act": "silu",
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "max_position_embeddings": 128000,
    "max_window_layers": 28,
    "num_attention_heads": 28,
    "num_hidden_layers": 28,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "use_sliding_window": False,
    "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
    "vocab_size": 152064,
    "tie_word_embeddings": False,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
}


def clip_l_text(name: str, download_bytes: int, source: str) -> ComponentSpec:
    return ComponentSpec(
        name,
        "transformers",
        "CLIPTextModel",
        CLIP_L_TEXT,
        "CLIPTextConfig",
        CLIP_L_TEXT_PARAMS,
        download_bytes,
        source,
    )


def t5_encoder(
    name: str, config: dict[str, Any], params: int, download_bytes: int, source: str
) -> ComponentSpec:
    cls = "UMT5" if config["vocab_size"] == UMT5_XXL["vocab_size"] else "T5"
    return ComponentSpec(
        name, "transformers", f"{cls}EncoderModel", config, f"{cls}Config", params, download_bytes, source
    )


# The tiny stand-ins every tiny pipeline shares: a 32-wide text encoder over the word tokenizer's vocabulary.
TINY_TEXT_DIM = 32
TINY_T5 = {
    "vocab_size": WORD_VOCAB_SIZE,
    "d_model": TINY_TEXT_DIM,
    "d_kv": 8,
    "d_ff": 64,
    "num_layers": 2,
    "num_heads": 4,
    "relative_attention_num_buckets": 8,
}


# A 16-wide Qwen2.5-VL language model over the word tokenizer's vocabulary (the sizes of diffusers' own tests).
TINY_QWEN_TEXT = {
    "hidden_size": 16,
    "intermediate_size": 32,
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "num_key_value_heads": 1,
    "vocab_size": WORD_VOCAB_SIZE,
    "max_position_embeddings": 2048,
    "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
    "bos_token_id": 3,
    "eos_token_id": 1,
    "pad_token_id": 0,
}


def tiny_t5(name: str = "text_encoder", umt5: bool = False) -> ComponentSpec:
    cls = "UMT5" if umt5 else "T5"
    return ComponentSpec(name, "transformers", f"{cls}EncoderModel", TINY_T5, f"{cls}Config")


def tiny_clip_text(name: str, hidden_size: int = TINY_TEXT_DIM) -> ComponentSpec:
    return ComponentSpec(
        name,
        "transformers",
        "CLIPTextModel",
        {
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
            "hidden_size": hidden_size,
            "intermediate_size": 37,
            "num_attention_heads": 4,
            "num_hidden_layers": 2,
            "vocab_size": CLIP_VOCAB_SIZE,
            "projection_dim": hidden_size,
        },
        "CLIPTextConfig",
    )


def tokenizer(name: str = "tokenizer", kind: str = "word") -> ComponentSpec:
    return ComponentSpec(name, "tokenizer", kind)


def scheduler(class_name: str, **config: Any) -> ComponentSpec:
    return ComponentSpec("scheduler", "diffusers", class_name, config)


@dataclass(frozen=True)
class TinyModel:
    """A family's tiny pipeline: the real classes with small numbers, and the render defaults it suits."""

    family: str
    arch: Architecture
    defaults: dict[str, Any] = field(default_factory=dict)

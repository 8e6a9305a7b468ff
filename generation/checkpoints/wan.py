"""Wan 2.1 and 2.2 (WanPipeline, WanImageToVideoPipeline) by Wan-AI, in the diffusers layout.

Configs: diffusers' scripts/convert_wan_to_diffusers.py (which produced the Wan-AI diffusers repos) and copies
whose _name_or_path names the Wan-AI repo; sizes from the Hub's file trees, cited per component.
"""

from __future__ import annotations

from typing import Any

from generation.architecture import Architecture, ComponentSpec, Geometry, LoraSpec
from generation.checkpoints.shared import (
    TINY_TEXT_DIM,
    UMT5_XXL,
    UMT5_XXL_PARAMS,
    TinyModel,
    scheduler,
    t5_encoder,
    tiny_t5,
    tokenizer,
)

_WAN_TRANSFORMER = {
    "patch_size": [1, 2, 2],
    "attention_head_dim": 128,
    "cross_attn_norm": True,
    "eps": 1e-06,
    "freq_dim": 256,
    "in_channels": 16,
    "out_channels": 16,
    "qk_norm": "rms_norm_across_heads",
    "rope_max_seq_len": 1024,
    "text_dim": 4096,
}

# The Wan 2.1 VAE (4x temporal, 8x spatial, 16 latent channels) is AutoencoderKLWan's default configuration:
# https://huggingface.co/ai-toolkit/wan2.1-vae/blob/main/config.json (_name_or_path Wan-AI/Wan2.1-T2V-1.3B-Diffusers).
# 508 MB of fp32 (127M parameters): https://huggingface.co/StevenZhang/Wan2.1-VAE_Diff/tree/main
_VAE_21 = ComponentSpec(
    "vae",
    "diffusers",
    "AutoencoderKLWan",
    {},
    params=127_000_000,
    download_bytes=508_000_000,
    source="https://huggingface.co/StevenZhang/Wan2.1-VAE_Diff/tree/main",
)

# Wan 2.2's VAE: 16x spatial after a 2x2 patchify, 48 latent channels. Config from
# https://huggingface.co/nvidia/Cosmos3-Edge/resolve/main/vae/config.json (_name_or_path Wan-AI/Wan2.2-TI2V-5B-Diffusers),
# without "clip_output", which this diffusers' AutoencoderKLWan does not take. 2.82 GB of fp32 (705M):
# https://huggingface.co/callgg/wan2-decoder/tree/main/vae
_VAE_22_MEAN = [
    -0.2289,
    -0.0052,
    -0.1323,
    -0.2339,
    -0.2799,
    0.0174,
    0.1838,
    0.1557,
    -0.1382,
    0.0542,
    0.2813,
    0.0891,
    0.157,
    -0.0098,
    0.0375,
    -0.1825,
    -0.2246,
    -0.1207,
    -0.0698,
    0.5109,
    0.2665,
    -0.2108,
    -0.2158,
    0.2502,
    -0.2055,
    -0.0322,
    0.1109,
    0.1567,
    -0.0729,
    0.0899,
    -0.2799,
    -0.123,
    -0.0313,
    -0.1649,
    0.0117,
    0.0723,
    -0.2839,
    -0.2083,
    -0.052,
    0.3748,
    0.0152,
    0.1957,
    0.1433,
    -0.2944,
    0.3573,
    -0.0548,
    -0.1681,
    -0.0667,
]
_VAE_22_STD = [
    0.4765,
    1.0364,
    0.4514,
    1.1677,
    0.5313,
    0.499,
    0.4818,
    0.5013,
    0.8158,
    1.0344,
    0.5894,
    1.0901,
    0.6885,
    0.6165,
    0.8454,
    0.4978,
    0.5759,
    0.3523,
    0.7135,
    0.6804,
    0.5833,
    1.4146,
    0.8986,
    0.5659,
    0.7069,
    0.5338,
    0.4889,
    0.4917,
    0.4069,
    0.4999,
    0.6866,
    0.4093,
    0.5709,
    0.6065,
    0.6415,
    0.4944,
    0.5726,
    1.2042,
    0.5458,
    1.6887,
    0.3971,
    1.06,
    0.3943,
    0.5537,
    0.5444,
    0.4089,
    0.7468,
    0.7744,
]
_VAE_22 = ComponentSpec(
    "vae",
    "diffusers",
    "AutoencoderKLWan",
    {
        "attn_scales": [],
        "base_dim": 160,
        "decoder_base_dim": 256,
        "dim_mult": [1, 2, 4, 4],
        "dropout": 0.0,
        "in_channels": 12,
        "is_residual": True,
        "latents_mean": _VAE_22_MEAN,
        "latents_std": _VAE_22_STD,
        "num_res_blocks": 2,
        "out_channels": 12,
        "patch_size": 2,
        "scale_factor_spatial": 16,
        "scale_factor_temporal": 4,
        "temperal_downsample": [False, True, True],
        "z_dim": 48,
    },
    params=705_000_000,
    download_bytes=2_820_000_000,
    source="https://huggingface.co/callgg/wan2-decoder/tree/main/vae",
)


def _umt5(download_bytes: int, source: str) -> ComponentSpec:
    return t5_encoder("text_encoder", UMT5_XXL, UMT5_XXL_PARAMS, download_bytes, source)


_UMT5_FP32 = _umt5(
    22_730_000_000, "https://huggingface.co/Wan-AI/Wan2.1-T2V-1.3B-Diffusers/tree/main/text_encoder"
)
_UMT5_BF16 = _umt5(
    11_360_000_000, "https://huggingface.co/Wan-AI/Wan2.2-TI2V-5B-Diffusers/tree/main/text_encoder"
)
# Every Wan diffusers repo ships UniPC over flow sigmas; flow_shift 3.0, except TI2V-5B's 5.0 (the converter).
_UNIPC = {"prediction_type": "flow_prediction", "use_flow_sigmas": True, "num_train_timesteps": 1000}
_TOKENIZER_BYTES = 21_500_000  # T5TokenizerFast: spiece.model and tokenizer.json


def _geometry(hidden: int, ffn: int, blocks: int, spatial: int = 8, latent_channels: int = 16) -> Geometry:
    # Wan's causal VAE decodes one latent frame (four pixel frames) at a time.
    return Geometry(
        spatial=spatial,
        temporal=4,
        patch=(1, 2, 2),
        hidden=hidden,
        ffn=ffn,
        latent_channels=latent_channels,
        blocks=blocks,
        decode_chunk_frames=4,
        decoder_channels=96 if spatial == 8 else 256,
    )


# Wan2.1-T2V-1.3B: 12 heads x 128, 30 layers, ffn 8960 (the converter's "Wan-T2V-1.3B", as
# https://huggingface.co/callgg/t2v-decoder/blob/main/transformer/config.json). 5.68 GB of fp32 (1.42B):
# https://huggingface.co/Wan-AI/Wan2.1-T2V-1.3B-Diffusers/tree/main/transformer
WAN21_T2V_1_3B = Architecture(
    pipeline_class="WanPipeline",
    components=(
        ComponentSpec(
            "transformer",
            "diffusers",
            "WanTransformer3DModel",
            {**_WAN_TRANSFORMER, "num_attention_heads": 12, "ffn_dim": 8960, "num_layers": 30},
            params=1_420_000_000,
            download_bytes=5_680_000_000,
            source="https://huggingface.co/Wan-AI/Wan2.1-T2V-1.3B-Diffusers/tree/main/transformer",
        ),
        _UMT5_FP32,
        _VAE_21,
        tokenizer(),
        scheduler("UniPCMultistepScheduler", flow_shift=3.0, **_UNIPC),
    ),
    geometry=_geometry(1536, 8960, 30),
    other_download_bytes=_TOKENIZER_BYTES,
)

# Wan2.1-I2V-14B-480P: 40 heads x 128, 40 layers, ffn 13824, image cross-attention (the converter's
# "Wan-I2V-14B-480p"); 14 fp32 shards, 65.6 GB (16.4B; the bf16 single file is 32.8 GB:
# https://huggingface.co/Comfy-Org/Wan_2.1_ComfyUI_repackaged/tree/refs%2Fpr%2F25/split_files/diffusion_models).
_CLIP_VISION_H = {
    "hidden_act": "gelu",
    "hidden_size": 1280,
    "image_size": 224,
    "intermediate_size": 5120,
    "layer_norm_eps": 1e-05,
    "num_attention_heads": 16,
    "num_channels": 3,
    "num_hidden_layers": 32,
    "patch_size": 14,
    "projection_dim": 1024,
}
WAN21_I2V_14B_480P = Architecture(
    pipeline_class="WanImageToVideoPipeline",
    components=(
        ComponentSpec(
            "transformer",
            "diffusers",
            "WanTransformer3DModel",
            {
                **_WAN_TRANSFORMER,
                "num_attention_heads": 40,
                "ffn_dim": 13824,
                "num_layers": 40,
                "in_channels": 36,
                "image_dim": 1280,
                "added_kv_proj_dim": 5120,
            },
            params=16_400_000_000,
            download_bytes=65_600_000_000,
            source="https://huggingface.co/Wan-AI/Wan2.1-I2V-14B-480P-Diffusers/tree/main/transformer",
        ),
        _UMT5_FP32,
        _VAE_21,
        tokenizer(),
        # CLIP ViT-H/14's vision tower (https://huggingface.co/ypyp/wan2.1_i2v/blob/main/image_encoder/config.json);
        # 1.26 GB of 16-bit weights (631M): https://huggingface.co/Wan-AI/Wan2.1-I2V-14B-720P-Diffusers/tree/main/image_encoder
        ComponentSpec(
            "image_encoder",
            "transformers",
            "CLIPVisionModel",
            _CLIP_VISION_H,
            "CLIPVisionConfig",
            630_000_000,
            1_260_000_000,
            "https://huggingface.co/Wan-AI/Wan2.1-I2V-14B-720P-Diffusers/tree/main/image_encoder",
        ),
        ComponentSpec(
            "image_processor",
            "transformers",
            "CLIPImageProcessor",
            {
                "crop_size": {"height": 224, "width": 224},
                "size": {"shortest_edge": 224},
                "resample": 3,
                "image_mean": [0.48145466, 0.4578275, 0.40821073],
                "image_std": [0.26862954, 0.26130258, 0.27577711],
            },
        ),
        scheduler("UniPCMultistepScheduler", flow_shift=3.0, **_UNIPC),
    ),
    geometry=_geometry(5120, 13824, 40),
    other_download_bytes=_TOKENIZER_BYTES,
)

# Wan2.2-TI2V-5B: 24 heads x 128, 30 layers, ffn 14336, 48 channels (the converter's "Wan2.2-TI2V-5B"; the
# original https://raw.githubusercontent.com/Wan-Video/Wan2.2/main/wan/configs/wan_ti2v_5B.py). 5.0B: the fp8
# single file is 5 GB (https://huggingface.co/meimeilook/Wan2.2-TI2V-5B_FP8/tree/main). The diffusers repo's
# transformer files were not found: 10 GB assumes bf16 like its text encoder.
WAN22_TI2V_5B = Architecture(
    pipeline_class="WanPipeline",
    components=(
        ComponentSpec(
            "transformer",
            "diffusers",
            "WanTransformer3DModel",
            {
                **_WAN_TRANSFORMER,
                "num_attention_heads": 24,
                "ffn_dim": 14336,
                "num_layers": 30,
                "in_channels": 48,
                "out_channels": 48,
            },
            params=5_000_000_000,
            download_bytes=10_000_000_000,
            source="https://huggingface.co/meimeilook/Wan2.2-TI2V-5B_FP8/tree/main",
        ),
        _UMT5_BF16,
        _VAE_22,
        tokenizer(),
        scheduler("UniPCMultistepScheduler", flow_shift=5.0, **_UNIPC),
    ),
    geometry=_geometry(3072, 14336, 30, spatial=16, latent_channels=48),
    pipeline_config={"expand_timesteps": True},
    other_download_bytes=_TOKENIZER_BYTES,
)


def _a14b_expert(name: str, in_channels: int, source: str) -> ComponentSpec:
    # 40 heads x 128, 40 layers, ffn 13824 (https://huggingface.co/Wan-AI/Wan2.2-T2V-A14B-Diffusers/blob/refs%2Fpr%2F2/transformer_2/config.json).
    # 12 fp32 shards of about 4.92 GB each, 57.2 GB; the fp16 single file is 28.6 GB (14.3B):
    # https://huggingface.co/Ledout22/diffusion_models/tree/main
    return ComponentSpec(
        name,
        "diffusers",
        "WanTransformer3DModel",
        {
            **_WAN_TRANSFORMER,
            "num_attention_heads": 40,
            "ffn_dim": 13824,
            "num_layers": 40,
            "in_channels": in_channels,
        },
        params=14_300_000_000,
        download_bytes=57_200_000_000,
        source=source,
    )


# The Lightning 4-step distillation LoRAs by the lightx2v team: rank 64 on every attention projection and
# the feed-forward layers of both experts; fp32, 1,226,977,424 bytes per file (306.7M parameters; an LFS
# pointer of a byte copy: https://huggingface.co/AI-ARCHIVE8/MODELOS_DEPENDENCIAS/commit/a098b3dbc6d8751bfae745ff765d991d49dbac87).
# The Lightning authors sample 4 steps without guidance at shift 5
# (https://github.com/ModelTC/Wan2.2-Lightning, wan/configs/wan_t2v_A14B.py).
_LIGHTNING_TARGETS = (
    *(f"{attn}.{proj}" for attn in ("attn1", "attn2") for proj in ("to_q", "to_k", "to_v", "to_out.0")),
    "ffn.net.0.proj",
    "ffn.net.2",
)


def _lightning(folder: str) -> tuple[LoraSpec, LoraSpec]:
    common: dict[str, Any] = {
        "source": "lightx2v/Wan2.2-Lightning",
        "rank": 64,
        "targets": _LIGHTNING_TARGETS,
        "params": 306_740_000,
        "download_bytes": 1_226_977_424,
        "source_url": f"https://huggingface.co/lightx2v/Wan2.2-Lightning/tree/main/{folder}",
    }
    return (
        LoraSpec(
            weight_name=f"{folder}/high_noise_model.safetensors",
            adapter_name="lightning",
            into=("transformer",),
            **common,
        ),
        LoraSpec(
            weight_name=f"{folder}/low_noise_model.safetensors",
            adapter_name="lightning_2",
            into=("transformer_2",),
            **common,
        ),
    )


# Wan2.2-T2V-A14B: a high-noise expert ("transformer") for t >= 875 and a low-noise one below
# (boundary_ratio 0.875, confirmed in https://github.com/huggingface/diffusers/pull/12074).
WAN22_T2V_A14B = Architecture(
    pipeline_class="WanPipeline",
    components=(
        _a14b_expert(
            "transformer",
            16,
            "https://huggingface.co/jobs-git/Wan2.2-T2V-A14B-Diffusers/tree/main/transformer",
        ),
        _a14b_expert(
            "transformer_2",
            16,
            "https://huggingface.co/Wan-AI/Wan2.2-T2V-A14B-Diffusers/tree/main/transformer_2",
        ),
        _UMT5_BF16,
        _VAE_21,
        tokenizer(),
        scheduler("UniPCMultistepScheduler", flow_shift=3.0, **_UNIPC),
    ),
    denoisers=("transformer", "transformer_2"),
    geometry=_geometry(5120, 13824, 40),
    pipeline_config={"boundary_ratio": 0.875},
    loras=_lightning("Wan2.2-T2V-A14B-4steps-lora-rank64-Seko-V1.1"),
    other_download_bytes=_TOKENIZER_BYTES,
)

# Wan2.2-I2V-A14B: the same experts with the image latents as 20 more input channels, boundary 0.9, no image
# encoder. The original high_noise_model is 57.2 GB of fp32: https://huggingface.co/Wan-AI/Wan2.2-I2V-A14B/tree/main/high_noise_model
WAN22_I2V_A14B = Architecture(
    pipeline_class="WanImageToVideoPipeline",
    components=(
        _a14b_expert(
            "transformer", 36, "https://huggingface.co/Wan-AI/Wan2.2-I2V-A14B/tree/main/high_noise_model"
        ),
        _a14b_expert(
            "transformer_2", 36, "https://huggingface.co/Wan-AI/Wan2.2-I2V-A14B/tree/main/low_noise_model"
        ),
        _UMT5_BF16,
        _VAE_21,
        tokenizer(),
        scheduler("UniPCMultistepScheduler", flow_shift=3.0, **_UNIPC),
    ),
    denoisers=("transformer", "transformer_2"),
    geometry=_geometry(5120, 13824, 40),
    pipeline_config={"boundary_ratio": 0.9, "image_encoder": None, "image_processor": None},
    loras=_lightning("Wan2.2-I2V-A14B-4steps-lora-rank64-Seko-V1"),
    other_download_bytes=_TOKENIZER_BYTES,
)


# Tiny pipelines: the transformer sizes of diffusers' own Wan tests.
def _tiny_transformer(
    name: str = "transformer", in_channels: int = 16, out_channels: int = 16, **extra: Any
) -> ComponentSpec:
    return ComponentSpec(
        name,
        "diffusers",
        "WanTransformer3DModel",
        {
            "patch_size": (1, 2, 2),
            "num_attention_heads": 2,
            "attention_head_dim": 12,
            "in_channels": in_channels,
            "out_channels": out_channels,
            "text_dim": TINY_TEXT_DIM,
            "freq_dim": 256,
            "ffn_dim": 32,
            "num_layers": 2,
            "cross_attn_norm": True,
            "qk_norm": "rms_norm_across_heads",
            "rope_max_seq_len": 32,
            **extra,
        },
    )


_TINY_VAE = ComponentSpec(
    "vae",
    "diffusers",
    "AutoencoderKLWan",
    {
        "base_dim": 3,
        "z_dim": 16,
        "dim_mult": [1, 1, 1, 1],
        "num_res_blocks": 1,
        "temperal_downsample": [False, True, True],
    },
)
_TINY_GEOMETRY = _geometry(24, 32, 2)
_TINY_SCHEDULER = scheduler("UniPCMultistepScheduler", flow_shift=3.0, **_UNIPC)
_TINY_DEFAULTS = {"width": 64, "height": 64, "num_frames": 9, "fps": 8, "steps": 4, "guidance": 5.0}

TINY_WAN = TinyModel(
    family="wan",
    arch=Architecture(
        "WanPipeline",
        (_tiny_transformer(), tiny_t5(umt5=True), _TINY_VAE, tokenizer(), _TINY_SCHEDULER),
        _TINY_GEOMETRY,
    ),
    defaults=_TINY_DEFAULTS,
)

# Wan 2.2's VAE: residual, patchified 2x2, 16x spatial compression.
_TINY_VAE_22 = ComponentSpec(
    "vae",
    "diffusers",
    "AutoencoderKLWan",
    {
        "base_dim": 8,
        "z_dim": 8,
        "dim_mult": [1, 1, 1, 1],
        "num_res_blocks": 1,
        "temperal_downsample": [False, True, True],
        "is_residual": True,
        "in_channels": 12,
        "out_channels": 12,
        "patch_size": 2,
        "scale_factor_spatial": 16,
        "latents_mean": [0.0] * 8,
        "latents_std": [1.0] * 8,
    },
)
TINY_WAN22 = TinyModel(
    family="wan2.2",
    arch=Architecture(
        "WanPipeline",
        (
            _tiny_transformer(in_channels=8, out_channels=8),
            tiny_t5(umt5=True),
            _TINY_VAE_22,
            tokenizer(),
            scheduler("UniPCMultistepScheduler", flow_shift=5.0, **_UNIPC),
        ),
        _TINY_GEOMETRY,
        pipeline_config={"expand_timesteps": True},
    ),
    defaults={**_TINY_DEFAULTS, "steps": 3},
)

TINY_WAN_I2V = TinyModel(
    family="wan-i2v",
    arch=Architecture(
        "WanImageToVideoPipeline",
        (
            # Input channels: the noise, plus the image's latents and its mask.
            _tiny_transformer(in_channels=36, image_dim=4),
            tiny_t5(umt5=True),
            _TINY_VAE,
            tokenizer(),
            _TINY_SCHEDULER,
            ComponentSpec(
                "image_encoder",
                "transformers",
                "CLIPVisionModel",
                {
                    "hidden_size": 4,
                    "num_hidden_layers": 2,
                    "num_attention_heads": 2,
                    "image_size": 32,
                    "intermediate_size": 16,
                    "patch_size": 1,
                },
                "CLIPVisionConfig",
            ),
            ComponentSpec(
                "image_processor", "transformers", "CLIPImageProcessor", {"crop_size": 32, "size": 32}
            ),
        ),
        _TINY_GEOMETRY,
    ),
    defaults={**_TINY_DEFAULTS, "width": 32, "height": 32, "steps": 3},
)

# Two experts, as Wan 2.2 A14B; rank-4 LoRAs on the same layers as Lightning's (make-tiny writes them).
_TINY_LORAS = tuple(
    LoraSpec(
        source="",
        weight_name=f"lora/{name}_model.safetensors",
        adapter_name=adapter,
        into=(into,),
        rank=4,
        targets=_LIGHTNING_TARGETS,
    )
    for name, adapter, into in (
        ("high_noise", "lightning", "transformer"),
        ("low_noise", "lightning_2", "transformer_2"),
    )
)
TINY_WAN22_A14B = TinyModel(
    family="wan2.2-a14b",
    arch=Architecture(
        "WanPipeline",
        (
            _tiny_transformer(),
            _tiny_transformer("transformer_2"),
            tiny_t5(umt5=True),
            _TINY_VAE,
            tokenizer(),
            _TINY_SCHEDULER,
        ),
        _TINY_GEOMETRY,
        denoisers=("transformer", "transformer_2"),
        pipeline_config={"boundary_ratio": 0.875},
        loras=_TINY_LORAS,
    ),
    defaults={**_TINY_DEFAULTS, "steps": 4, "guidance": 1.0},
)
TINY_WAN22_A14B_I2V = TinyModel(
    family="wan2.2-a14b-i2v",
    arch=Architecture(
        "WanImageToVideoPipeline",
        (
            _tiny_transformer(in_channels=36),
            _tiny_transformer("transformer_2", in_channels=36),
            tiny_t5(umt5=True),
            _TINY_VAE,
            tokenizer(),
            _TINY_SCHEDULER,
        ),
        _TINY_GEOMETRY,
        denoisers=("transformer", "transformer_2"),
        pipeline_config={"boundary_ratio": 0.9, "image_encoder": None, "image_processor": None},
        loras=_TINY_LORAS,
    ),
    defaults={**_TINY_DEFAULTS, "width": 32, "height": 32, "steps": 4, "guidance": 1.0},
)

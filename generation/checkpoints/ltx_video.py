"""LTX-Video by Lightricks (LTXPipeline, LTXConditionPipeline, LTXImageToVideoPipeline).

Two generations share these classes: the 2B transformer of 0.9.0-0.9.6 and the 13B of 0.9.7-0.9.8. Only the
0.9.7 and 0.9.8 13B checkpoints exist in the diffusers layout; the 2B distilled line (0.9.6, 0.9.8) ships as
single files only (https://huggingface.co/Lightricks/LTX-Video/blob/main/ltxv-2b-0.9.6-distilled-04-25.safetensors),
which this bot does not load: its loader takes diffusers directories and Hub repos.
"""

from __future__ import annotations

from generation.architecture import Architecture, ComponentSpec, Geometry
from generation.checkpoints.shared import (
    T5_XXL,
    T5_XXL_PARAMS,
    TINY_TEXT_DIM,
    TinyModel,
    scheduler,
    t5_encoder,
    tiny_t5,
    tokenizer,
)

_TRANSFORMER = {
    "activation_fn": "gelu-approximate",
    "attention_bias": True,
    "attention_out_bias": True,
    "caption_channels": 4096,
    "in_channels": 128,
    "norm_elementwise_affine": False,
    "norm_eps": 1e-06,
    "num_attention_heads": 32,
    "out_channels": 128,
    "patch_size": 1,
    "patch_size_t": 1,
    "qk_norm": "rms_norm_across_heads",
}
_T5_FP32 = t5_encoder(
    "text_encoder",
    T5_XXL,
    T5_XXL_PARAMS,
    19_050_000_000,
    "https://huggingface.co/Lightricks/LTX-Video-0.9.7-dev/tree/main/text_encoder",
)
_TOKENIZER_BYTES = 2_400_000  # T5Tokenizer: spiece.model and config


def _geometry(hidden: int, blocks: int) -> Geometry:
    # 32x spatial and 8x temporal compression into 128 channels, no patching: few, wide tokens.
    return Geometry(
        spatial=32,
        temporal=8,
        patch=(1, 1, 1),
        hidden=hidden,
        ffn=4 * hidden,
        blocks=blocks,
        latent_channels=128,
        decoder_channels=32,
    )


# LTX-Video 0.9.7 distilled, 13B: 48 layers of 32 heads x 128, cross-attention 4096. The distilled repo's own
# transformer config was not readable; distillation keeps the architecture of 0.9.7-dev:
# https://huggingface.co/Lightricks/LTX-Video-0.9.7-dev/blob/refs%2Fpr%2F3/transformer/config.json
# 4.87 + 4 x 4.97 + 1.34 = 26.09 GB of bf16 (13.045B): https://huggingface.co/Lightricks/LTX-Video-0.9.7-dev/tree/main/transformer
# (the distilled repo's shards have the same sizes, e.g.
# https://huggingface.co/Lightricks/LTX-Video-0.9.7-distilled/blob/55881e352643f86ded6a2fe8593ff72e5ebb4a7c/transformer/diffusion_pytorch_model-00002-of-00006.safetensors).
# VAE of 0.9.5-0.9.8: 5 encoder levels up to 2048 channels, timestep-conditioned decoder (diffusers'
# scripts/convert_ltx_to_diffusers.py; https://huggingface.co/callgg/ltxv0.9.8-decoder/blob/main/vae/config.json);
# 2.49 GB of bf16 (1.245B): https://huggingface.co/Lightricks/LTX-Video-0.9.7-dev/blob/main/vae/diffusion_pytorch_model.safetensors
LTX_VIDEO_0_9_7_DISTILLED = Architecture(
    pipeline_class="LTXConditionPipeline",
    components=(
        ComponentSpec(
            "transformer",
            "diffusers",
            "LTXVideoTransformer3DModel",
            {
                **_TRANSFORMER,
                "attention_head_dim": 128,
                "cross_attention_dim": 4096,
                "num_layers": 48,
            },
            params=13_045_000_000,
            download_bytes=26_090_000_000,
            source="https://huggingface.co/Lightricks/LTX-Video-0.9.7-dev/tree/main/transformer",
        ),
        ComponentSpec(
            "vae",
            "diffusers",
            "AutoencoderKLLTXVideo",
            {
                "block_out_channels": [128, 256, 512, 1024, 2048],
                "decoder_block_out_channels": [256, 512, 1024],
                "decoder_causal": False,
                "decoder_inject_noise": [False, False, False, False],
                "decoder_layers_per_block": [5, 5, 5, 5],
                "decoder_spatio_temporal_scaling": [True, True, True],
                "down_block_types": ["LTXVideo095DownBlock3D"] * 4,
                "downsample_type": ["spatial", "temporal", "spatiotemporal", "spatiotemporal"],
                "encoder_causal": True,
                "in_channels": 3,
                "latent_channels": 128,
                "layers_per_block": [4, 6, 6, 2, 2],
                "out_channels": 3,
                "patch_size": 4,
                "patch_size_t": 1,
                "resnet_norm_eps": 1e-06,
                "scaling_factor": 1.0,
                "spatial_compression_ratio": 32,
                "spatio_temporal_scaling": [True, True, True, True],
                "temporal_compression_ratio": 8,
                "timestep_conditioning": True,
                "upsample_factor": [2, 2, 2],
                "upsample_residual": [True, True, True],
            },
            params=1_245_000_000,
            download_bytes=2_490_000_000,
            source="https://huggingface.co/Lightricks/LTX-Video-0.9.7-dev/blob/main/vae/diffusion_pytorch_model.safetensors",
        ),
        _T5_FP32,
        tokenizer(),
        # The 0.9.7 conversion: flow matching without dynamic shifting (scripts/convert_ltx_to_diffusers.py).
        scheduler("FlowMatchEulerDiscreteScheduler", use_dynamic_shifting=False),
    ),
    geometry=_geometry(4096, 48),
    other_download_bytes=_TOKENIZER_BYTES,
)

# Lightricks/LTX-Video's diffusers folders hold 0.9.0 (2B): 28 layers of 32 x 64, cross-attention 2048
# (https://huggingface.co/Lightricks/LTX-Video/blob/refs%2Fpr%2F91/transformer/config.json), 4.94 + 2.75 = 7.69 GB
# of fp32 (1.9225B). The 0.9.0 VAE has no timestep conditioning
# (https://huggingface.co/diffusers/LTX-Video-0.9.0/blob/cdeb3e014d75289ff39d71d949ec5e306c07748d/vae/config.json);
# 1.68 GB of fp32 (420M): https://huggingface.co/Lightricks/LTX-Video/tree/main/vae
LTX_VIDEO_0_9_0 = Architecture(
    pipeline_class="LTXImageToVideoPipeline",
    components=(
        ComponentSpec(
            "transformer",
            "diffusers",
            "LTXVideoTransformer3DModel",
            {
                **_TRANSFORMER,
                "attention_head_dim": 64,
                "cross_attention_dim": 2048,
                "num_layers": 28,
            },
            params=1_922_500_000,
            download_bytes=7_690_000_000,
            source="https://huggingface.co/Lightricks/LTX-Video/tree/refs%2Fpr%2F64/transformer",
        ),
        ComponentSpec(
            "vae",
            "diffusers",
            "AutoencoderKLLTXVideo",
            {
                "block_out_channels": [128, 256, 512, 512],
                "decoder_causal": False,
                "encoder_causal": True,
                "in_channels": 3,
                "latent_channels": 128,
                "layers_per_block": [4, 3, 3, 3, 4],
                "out_channels": 3,
                "patch_size": 4,
                "patch_size_t": 1,
                "resnet_norm_eps": 1e-06,
                "scaling_factor": 1.0,
                "spatio_temporal_scaling": [True, True, True, False],
            },
            params=420_000_000,
            download_bytes=1_680_000_000,
            source="https://huggingface.co/Lightricks/LTX-Video/tree/main/vae",
        ),
        t5_encoder(
            "text_encoder",
            T5_XXL,
            T5_XXL_PARAMS,
            19_050_000_000,
            "https://huggingface.co/Lightricks/LTX-Video/tree/main/text_encoder",
        ),
        tokenizer(),
        # The 0.9.0/0.9.1 conversion's scheduler (https://huggingface.co/jbilcke-hf/LTX-Video-0.9.1-HFIE/blob/main/scheduler/scheduler_config.json)
        scheduler(
            "FlowMatchEulerDiscreteScheduler",
            use_dynamic_shifting=True,
            base_image_seq_len=1024,
            max_image_seq_len=4096,
            base_shift=0.95,
            max_shift=2.05,
            shift_terminal=0.1,
        ),
    ),
    geometry=_geometry(2048, 28),
    other_download_bytes=_TOKENIZER_BYTES,
)

# The tiny sizes of diffusers' own LTX tests (in_channels 8, a VAE with 8 latent channels).
_TINY_TRANSFORMER = ComponentSpec(
    "transformer",
    "diffusers",
    "LTXVideoTransformer3DModel",
    {
        "in_channels": 8,
        "out_channels": 8,
        "patch_size": 1,
        "patch_size_t": 1,
        "num_attention_heads": 4,
        "attention_head_dim": 8,
        "cross_attention_dim": 32,
        "num_layers": 1,
        "caption_channels": TINY_TEXT_DIM,
    },
)
_TINY_VAE = ComponentSpec(
    "vae",
    "diffusers",
    "AutoencoderKLLTXVideo",
    {
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": 8,
        "block_out_channels": (8, 8, 8, 8),
        "decoder_block_out_channels": (8, 8, 8, 8),
        "layers_per_block": (1, 1, 1, 1, 1),
        "decoder_layers_per_block": (1, 1, 1, 1, 1),
        "spatio_temporal_scaling": (True, True, False, False),
        "decoder_spatio_temporal_scaling": (True, True, False, False),
        "decoder_inject_noise": (False, False, False, False, False),
        "upsample_residual": (False, False, False, False),
        "upsample_factor": (1, 1, 1, 1),
        "timestep_conditioning": False,
        "patch_size": 1,
        "patch_size_t": 1,
        "encoder_causal": True,
        "decoder_causal": False,
    },
)
_TINY_COMPONENTS = (
    _TINY_TRANSFORMER,
    _TINY_VAE,
    tiny_t5(),
    tokenizer(),
    scheduler("FlowMatchEulerDiscreteScheduler"),
)
_TINY_DEFAULTS = {"width": 32, "height": 32, "num_frames": 9, "fps": 8, "steps": 4, "guidance": 3.0}

TINY_LTX = TinyModel("ltx", Architecture("LTXPipeline", _TINY_COMPONENTS, _geometry(32, 1)), _TINY_DEFAULTS)
TINY_LTX_I2V = TinyModel(
    "ltx-i2v", Architecture("LTXImageToVideoPipeline", _TINY_COMPONENTS, _geometry(32, 1)), _TINY_DEFAULTS
)

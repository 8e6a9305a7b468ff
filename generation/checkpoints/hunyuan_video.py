"""HunyuanVideo by Tencent: the original 13B (HunyuanVideoPipeline) and HunyuanVideo 1.5 (8.3B,
HunyuanVideo15Pipeline and HunyuanVideo15ImageToVideoPipeline), in the hunyuanvideo-community diffusers repos.
"""

from __future__ import annotations

from generation.architecture import Architecture, ComponentSpec, Geometry
from generation.checkpoints.shared import (
    QWEN25_7B_TEXT,
    TINY_QWEN_TEXT,
    TINY_TEXT_DIM,
    TinyModel,
    clip_l_text,
    scheduler,
    tiny_clip_text,
    tokenizer,
)
from generation.tokenizers import WORD_VOCAB_SIZE

# HunyuanVideo (13B): the installed class's defaults are the published config, as copied with
# _name_or_path hunyuanvideo-community/HunyuanVideo at
# https://huggingface.co/thu-ml/Hunyuan-RIFLEx-diffusers/blob/refs%2Fpr%2F2/transformer/config.json
# 4.99 + 4.98 + 4.87 + 4.95 + 4.97 + 0.888 GB of bf16 (12.83B):
# https://huggingface.co/tencent/HunyuanVideo/tree/2a15b5574ee77888e51ae6f593b2ceed8ce813e5/transformer
HUNYUANVIDEO = Architecture(
    pipeline_class="HunyuanVideoPipeline",
    components=(
        ComponentSpec(
            "transformer",
            "diffusers",
            "HunyuanVideoTransformer3DModel",
            {
                "in_channels": 16,
                "out_channels": 16,
                "num_attention_heads": 24,
                "attention_head_dim": 128,
                "num_layers": 20,
                "num_single_layers": 40,
                "num_refiner_layers": 2,
                "mlp_ratio": 4.0,
                "patch_size": 2,
                "patch_size_t": 1,
                "qk_norm": "rms_norm",
                "guidance_embeds": True,
                "text_embed_dim": 4096,
                "pooled_projection_dim": 768,
                "rope_theta": 256.0,
                "rope_axes_dim": [16, 56, 56],
            },
            params=12_825_000_000,
            download_bytes=25_650_000_000,
            source="https://huggingface.co/tencent/HunyuanVideo/tree/2a15b5574ee77888e51ae6f593b2ceed8ce813e5/transformer",
        ),
        # https://huggingface.co/jbilcke-hf/HunyuanVideo-HFIE/blob/90ad37a19ea599c63af2760d559f61c91174cb1f/vae/config.json;
        # 986 MB of fp32 (246.5M): https://huggingface.co/jobs-git/HunyuanVideoCommunity/tree/main/vae
        ComponentSpec(
            "vae",
            "diffusers",
            "AutoencoderKLHunyuanVideo",
            {
                "act_fn": "silu",
                "block_out_channels": [128, 256, 512, 512],
                "down_block_types": ["HunyuanVideoDownBlock3D"] * 4,
                "up_block_types": ["HunyuanVideoUpBlock3D"] * 4,
                "in_channels": 3,
                "latent_channels": 16,
                "layers_per_block": 2,
                "mid_block_add_attention": True,
                "norm_num_groups": 32,
                "out_channels": 3,
                "scaling_factor": 0.476986,
                "spatial_compression_ratio": 8,
                "temporal_compression_ratio": 4,
            },
            params=246_500_000,
            download_bytes=986_000_000,
            source="https://huggingface.co/jobs-git/HunyuanVideoCommunity/tree/main/vae",
        ),
        # llava-llama-3-8b's language model (https://huggingface.co/FastVideo/FastHunyuan/blob/main/text_encoder/config.json);
        # 15.02 GB of fp16 (7.51B): https://huggingface.co/hunyuanvideo-community/HunyuanVideo/tree/main/text_encoder
        ComponentSpec(
            "text_encoder",
            "transformers",
            "LlamaModel",
            {
                "attention_bias": False,
                "bos_token_id": 128000,
                "eos_token_id": 128001,
                "head_dim": 128,
                "hidden_act": "silu",
                "hidden_size": 4096,
                "intermediate_size": 14336,
                "max_position_embeddings": 8192,
                "mlp_bias": False,
                "num_attention_heads": 32,
                "num_hidden_layers": 32,
                "num_key_value_heads": 8,
                "rms_norm_eps": 1e-05,
                "rope_theta": 500000.0,
                "tie_word_embeddings": False,
                "vocab_size": 128320,
            },
            "LlamaConfig",
            7_510_000_000,
            15_020_000_000,
            "https://huggingface.co/hunyuanvideo-community/HunyuanVideo/tree/main/text_encoder",
        ),
        clip_l_text(
            "text_encoder_2",
            246_000_000,
            "https://huggingface.co/jobs-git/HunyuanVideoCommunity/tree/main/text_encoder_2",
        ),
        tokenizer(),
        tokenizer("tokenizer_2", "clip"),
        scheduler("FlowMatchEulerDiscreteScheduler", shift=7.0),
    ),
    # 8x spatial, 4x temporal; 2x2 patches; 24 x 128 wide, MLP 4x.
    geometry=Geometry(
        spatial=8,
        temporal=4,
        patch=(1, 2, 2),
        hidden=3072,
        ffn=12288,
        latent_channels=16,
        blocks=60,
        decoder_channels=128,
    ),
    other_download_bytes=17_200_000,
)

# HunyuanVideo 1.5, 480p. Transformer: diffusers' scripts/convert_hunyuan_video1_5_to_diffusers.py, which made
# the community repos (https://github.com/huggingface/diffusers/blob/main/scripts/convert_hunyuan_video1_5_to_diffusers.py):
# 54 layers of 16 x 128. The original 480p_t2v file is 33.3 GB of fp32 (8.325B; the card says 8.3B):
# https://huggingface.co/tencent/HunyuanVideo-1.5/blob/main/transformer/480p_t2v/diffusion_pytorch_model.safetensors
_HY15_TRANSFORMER = {
    "in_channels": 65,
    "out_channels": 32,
    "num_attention_heads": 16,
    "attention_head_dim": 128,
    "num_layers": 54,
    "num_refiner_layers": 2,
    "mlp_ratio": 4.0,
    "patch_size": 1,
    "patch_size_t": 1,
    "qk_norm": "rms_norm",
    "text_embed_dim": 3584,
    "text_embed_2_dim": 1472,
    "image_embed_dim": 1152,
    "rope_theta": 256.0,
    "rope_axes_dim": [16, 56, 56],
    "target_size": 640,
}
_HY15_SOURCE = "https://huggingface.co/tencent/HunyuanVideo-1.5/blob/main/transformer/480p_t2v/diffusion_pytorch_model.safetensors"


# AutoencoderKLHunyuanVideo15's defaults (the conversion builds it so): 16x spatial, 4x temporal, 32
# channels; 5.04 GB of fp32 (1.26B): https://huggingface.co/tencent/HunyuanVideo-1.5/tree/refs%2Fpr%2F6/vae
_HY15_VAE = ComponentSpec(
    "vae",
    "diffusers",
    "AutoencoderKLHunyuanVideo15",
    {},
    params=1_260_000_000,
    download_bytes=5_040_000_000,
    source="https://huggingface.co/tencent/HunyuanVideo-1.5/tree/refs%2Fpr%2F6/vae",
)
# Qwen2.5-VL-7B-Instruct's language model, without the lm_head. The Qwen2.5 report (arXiv:2412.15115,
# table 1) gives 7.61B for the 7B model with untied embeddings: less one 152,064 x 3,584 head, 7.065B.
_HY15_TEXT_ENCODER = ComponentSpec(
    "text_encoder",
    "transformers",
    "Qwen2_5_VLTextModel",
    QWEN25_7B_TEXT,
    "Qwen2_5_VLTextConfig",
    7_065_000_000,
    14_140_000_000,
    "https://arxiv.org/abs/2412.15115",
)
# google/byt5-small with Glyph-SDXL-v2's weights and added colour and font tokens (vocabulary 1510),
# for text drawn in the video; 439 MB of fp16 (219.5M):
# https://huggingface.co/Comfy-Org/HunyuanVideo_1.5_repackaged/tree/main/split_files/text_encoders
_HY15_TEXT_ENCODER_2 = ComponentSpec(
    "text_encoder_2",
    "transformers",
    "T5EncoderModel",
    {
        "d_model": 1472,
        "d_ff": 3584,
        "d_kv": 64,
        "num_heads": 6,
        "num_layers": 12,
        "vocab_size": 1510,
        "feed_forward_proj": "gated-gelu",
        "is_gated_act": True,
        "tie_word_embeddings": False,
    },
    "T5Config",
    219_500_000,
    878_000_000,
    "https://huggingface.co/Comfy-Org/HunyuanVideo_1.5_repackaged/tree/main/split_files/text_encoders",
)


def _hy15_components(
    task_type: str, use_meanflow: bool, shift: float, guidance: float
) -> tuple[ComponentSpec, ...]:
    return (
        ComponentSpec(
            "transformer",
            "diffusers",
            "HunyuanVideo15Transformer3DModel",
            {
                **_HY15_TRANSFORMER,
                "task_type": task_type,
                "use_meanflow": use_meanflow,
            },
            params=8_325_000_000,
            download_bytes=33_300_000_000,
            source=_HY15_SOURCE,
        ),
        _HY15_VAE,
        _HY15_TEXT_ENCODER,
        _HY15_TEXT_ENCODER_2,
        # (The chat kind: the pipeline formats prompts with the tokenizer's chat template.)
        tokenizer(kind="chat"),
        tokenizer("tokenizer_2", "byt5"),
        # The official optimal settings: CFG 6 and shift 5 at 480p; the step-distilled model CFG 1, shift 7
        # (https://github.com/Tencent-Hunyuan/HunyuanVideo-1.5/blob/main/README.md).
        ComponentSpec("guider", "diffusers", "ClassifierFreeGuidance", {"guidance_scale": guidance}),
        scheduler("FlowMatchEulerDiscreteScheduler", shift=shift),
    )


# 16x spatial, 4x temporal, 32 channels, no patching; 16 x 128 wide, MLP 4x.
_HY15_GEOMETRY = Geometry(
    spatial=16,
    temporal=4,
    patch=(1, 1, 1),
    hidden=2048,
    ffn=8192,
    latent_channels=32,
    blocks=56,
    decoder_channels=128,
)
# SigLIP so400m/14 at 384 (the i2v pipelines' image encoder); 857 MB of fp16 (428.5M):
# https://huggingface.co/Comfy-Org/sigclip_vision_384/tree/main
_SIGLIP = ComponentSpec(
    "image_encoder",
    "transformers",
    "SiglipVisionModel",
    {
        "hidden_size": 1152,
        "intermediate_size": 4304,
        "num_hidden_layers": 27,
        "num_attention_heads": 16,
        "image_size": 384,
        "patch_size": 14,
    },
    "SiglipVisionConfig",
    428_500_000,
    857_000_000,
    "https://huggingface.co/Comfy-Org/sigclip_vision_384/tree/main",
)
_SIGLIP_PROCESSOR = ComponentSpec(
    "feature_extractor",
    "transformers",
    "SiglipImageProcessor",
    {
        "size": {"height": 384, "width": 384},
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
    },
)
_HY15_OTHER_BYTES = 12_000_000  # the Qwen and ByT5 tokenizer files

HUNYUANVIDEO15_480P_T2V = Architecture(
    "HunyuanVideo15Pipeline",
    _hy15_components("t2v", False, 5.0, 6.0),
    _HY15_GEOMETRY,
    other_download_bytes=_HY15_OTHER_BYTES,
)
HUNYUANVIDEO15_480P_I2V = Architecture(
    "HunyuanVideo15ImageToVideoPipeline",
    (*_hy15_components("i2v", False, 5.0, 6.0), _SIGLIP, _SIGLIP_PROCESSOR),
    _HY15_GEOMETRY,
    other_download_bytes=_HY15_OTHER_BYTES,
)
# The step-distilled image-to-video model adds a second timestep embedder (MeanFlow), 4.7M parameters.
HUNYUANVIDEO15_480P_I2V_STEP_DISTILLED = Architecture(
    "HunyuanVideo15ImageToVideoPipeline",
    (*_hy15_components("i2v", True, 7.0, 1.0), _SIGLIP, _SIGLIP_PROCESSOR),
    _HY15_GEOMETRY,
    other_download_bytes=_HY15_OTHER_BYTES,
)

TINY_HUNYUANVIDEO = TinyModel(
    family="hunyuanvideo",
    arch=Architecture(
        pipeline_class="HunyuanVideoPipeline",
        components=(
            ComponentSpec(
                "transformer",
                "diffusers",
                "HunyuanVideoTransformer3DModel",
                {
                    "in_channels": 4,
                    "out_channels": 4,
                    "num_attention_heads": 2,
                    "attention_head_dim": 10,
                    "num_layers": 1,
                    "num_single_layers": 1,
                    "num_refiner_layers": 1,
                    "patch_size": 1,
                    "patch_size_t": 1,
                    "guidance_embeds": True,
                    "text_embed_dim": 16,
                    "pooled_projection_dim": 8,
                    "rope_axes_dim": (2, 4, 4),
                },
            ),
            ComponentSpec(
                "vae",
                "diffusers",
                "AutoencoderKLHunyuanVideo",
                {
                    "in_channels": 3,
                    "out_channels": 3,
                    "latent_channels": 4,
                    "down_block_types": ("HunyuanVideoDownBlock3D",) * 4,
                    "up_block_types": ("HunyuanVideoUpBlock3D",) * 4,
                    "block_out_channels": (8, 8, 8, 8),
                    "layers_per_block": 1,
                    "act_fn": "silu",
                    "norm_num_groups": 4,
                    "scaling_factor": 0.476986,
                    "spatial_compression_ratio": 8,
                    "temporal_compression_ratio": 4,
                    "mid_block_add_attention": True,
                },
            ),
            ComponentSpec(
                "text_encoder",
                "transformers",
                "LlamaModel",
                {
                    "bos_token_id": 0,
                    "eos_token_id": 1,
                    "pad_token_id": 0,
                    "hidden_size": 16,
                    "intermediate_size": 37,
                    "num_attention_heads": 4,
                    "num_hidden_layers": 2,
                    "vocab_size": WORD_VOCAB_SIZE,
                    "hidden_act": "gelu",
                },
                "LlamaConfig",
            ),
            tiny_clip_text("text_encoder_2", hidden_size=8),
            tokenizer(),
            tokenizer("tokenizer_2", "clip"),
            scheduler("FlowMatchEulerDiscreteScheduler", shift=7.0),
        ),
        geometry=Geometry(spatial=8, temporal=4, patch=(1, 1, 1), hidden=20, ffn=80, latent_channels=4),
    ),
    defaults={"width": 32, "height": 32, "num_frames": 9, "fps": 8, "steps": 3, "guidance": 6.0},
)


def _tiny_hy15_transformer(task_type: str, use_meanflow: bool) -> ComponentSpec:
    return ComponentSpec(
        "transformer",
        "diffusers",
        "HunyuanVideo15Transformer3DModel",
        {
            "in_channels": 9,
            "out_channels": 4,
            "num_attention_heads": 2,
            "attention_head_dim": 8,
            "num_layers": 1,
            "num_refiner_layers": 1,
            "patch_size": 1,
            "patch_size_t": 1,
            "text_embed_dim": 16,
            "text_embed_2_dim": 8,
            "image_embed_dim": 12,
            "rope_axes_dim": (2, 2, 4),
            "target_size": 16,
            "task_type": task_type,
            "use_meanflow": use_meanflow,
        },
    )


_TINY_HY15_VAE = ComponentSpec(
    "vae",
    "diffusers",
    "AutoencoderKLHunyuanVideo15",
    {
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": 4,
        "block_out_channels": (16, 16),
        "layers_per_block": 1,
        "spatial_compression_ratio": 4,
        "temporal_compression_ratio": 2,
        "downsample_match_channel": False,
        "upsample_match_channel": False,
    },
)
_TINY_HY15_TEXT_ENCODERS = (
    ComponentSpec(
        "text_encoder",
        "transformers",
        "Qwen2_5_VLTextModel",
        TINY_QWEN_TEXT,
        "Qwen2_5_VLTextConfig",
    ),
    ComponentSpec(
        "text_encoder_2",
        "transformers",
        "T5EncoderModel",
        {
            "d_model": 8,
            "d_ff": 16,
            "d_kv": 4,
            "num_heads": 2,
            "num_layers": 1,
            "vocab_size": 384,
            "relative_attention_num_buckets": 8,
        },
        "T5Config",
    ),
)


def _tiny_hy15(pipeline_class: str, extra: tuple[ComponentSpec, ...], use_meanflow: bool) -> Architecture:
    return Architecture(
        pipeline_class=pipeline_class,
        components=(
            _tiny_hy15_transformer("i2v" if extra else "t2v", use_meanflow),
            _TINY_HY15_VAE,
            *_TINY_HY15_TEXT_ENCODERS,
            tokenizer(kind="chat"),
            tokenizer("tokenizer_2", "byt5"),
            ComponentSpec("guider", "diffusers", "ClassifierFreeGuidance", {"guidance_scale": 6.0}),
            scheduler("FlowMatchEulerDiscreteScheduler", shift=5.0),
            *extra,
        ),
        geometry=Geometry(
            spatial=4, temporal=2, patch=(1, 1, 1), hidden=TINY_TEXT_DIM // 2, ffn=64, latent_channels=4
        ),
    )


TINY_HUNYUANVIDEO15 = TinyModel(
    family="hunyuanvideo15",
    arch=_tiny_hy15("HunyuanVideo15Pipeline", (), False),
    defaults={"width": 32, "height": 32, "num_frames": 9, "fps": 24, "steps": 3, "guidance": 6.0},
)
TINY_HUNYUANVIDEO15_I2V = TinyModel(
    family="hunyuanvideo15-i2v",
    arch=_tiny_hy15(
        "HunyuanVideo15ImageToVideoPipeline",
        (
            ComponentSpec(
                "image_encoder",
                "transformers",
                "SiglipVisionModel",
                {
                    "hidden_size": 12,
                    "intermediate_size": 24,
                    "num_hidden_layers": 1,
                    "num_attention_heads": 2,
                    "image_size": 28,
                    "patch_size": 14,
                },
                "SiglipVisionConfig",
            ),
            ComponentSpec(
                "feature_extractor",
                "transformers",
                "SiglipImageProcessor",
                {"size": {"height": 28, "width": 28}},
            ),
        ),
        True,
    ),
    defaults={"width": 32, "height": 32, "num_frames": 9, "fps": 24, "steps": 3, "guidance": 1.0},
)

"""Kandinsky 5.0 Video Lite by Kandinsky Lab (Kandinsky5T2VPipeline): a 2B text-to-video transformer.

The distilled 16-step 5-second checkpoint in the diffusers layout is the one the diffusers Kandinsky 5 guide
recommends for speed (docs/source/en/api/pipelines/kandinsky5_video.md in huggingface/diffusers). Its
diffusers repo's config files were not readable; the architecture is that of the official Lite configs
(https://github.com/kandinskylab/kandinsky-5/blob/main/configs/k5_lite_t2v_5s_distil_sd.yaml), which every
Lite variant shares, and whose size the original checkpoint confirms (below).
"""

from __future__ import annotations

from generation.architecture import Architecture, ComponentSpec, Geometry
from generation.checkpoints.hunyuan_video import HUNYUANVIDEO, TINY_HUNYUANVIDEO
from generation.checkpoints.shared import (
    QWEN25_7B_TEXT,
    TINY_QWEN_TEXT,
    TinyModel,
    clip_l_text,
    scheduler,
    tiny_clip_text,
    tokenizer,
)
from generation.tokenizers import WORD_VOCAB_SIZE

# dit_params of the Lite configs. The card says 2B; the original single file is 4,570,660,480 bytes
# (https://huggingface.co/kandinskylab/Kandinsky-5.0-T2V-Lite-nocfg-10s/tree/main/model), which is 2.0077B
# parameters stored as bf16 with the 277.6M modulation weights in fp32: 2 x 2.0077B + 2 x 0.2776B bytes.
_TRANSFORMER = {
    "in_visual_dim": 16,
    "out_visual_dim": 16,
    "time_dim": 512,
    "patch_size": [1, 2, 2],
    "model_dim": 1792,
    "ff_dim": 7168,
    "num_text_blocks": 2,
    "num_visual_blocks": 32,
    "axes_dims": [16, 24, 24],
    "visual_cond": True,
    "in_text_dim": 3584,
    "in_text_dim2": 768,
    "attention_type": "regular",
}

# Qwen2.5-VL-7B-Instruct, whole (the pipeline loads Qwen2_5_VLForConditionalGeneration): text as in
# HunyuanVideo 1.5, plus its vision tower. A bf16 repack is 16.6 GB (8.29B):
# https://huggingface.co/Comfy-Org/HunyuanVideo_1.5_repackaged/tree/main/split_files/text_encoders
_QWEN25_VL_7B = {
    "text_config": QWEN25_7B_TEXT,
    "vision_config": {
        "depth": 32,
        "hidden_act": "silu",
        "hidden_size": 1280,
        "intermediate_size": 3420,
        "num_heads": 16,
        "in_chans": 3,
        "out_hidden_size": 3584,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "window_size": 112,
        "fullatt_block_indexes": [7, 15, 23, 31],
        "tokens_per_second": 2,
        "temporal_patch_size": 2,
    },
    "image_token_id": 151655,
    "video_token_id": 151656,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "tie_word_embeddings": False,
}

KANDINSKY5_LITE_T2V = Architecture(
    pipeline_class="Kandinsky5T2VPipeline",
    components=(
        ComponentSpec(
            "transformer",
            "diffusers",
            "Kandinsky5Transformer3DModel",
            _TRANSFORMER,
            params=2_007_700_000,
            download_bytes=4_570_660_480,
            source="https://huggingface.co/kandinskylab/Kandinsky-5.0-T2V-Lite-nocfg-10s/tree/main/model",
        ),
        # The HunyuanVideo VAE (the official download script takes it from hunyuanvideo-community/HunyuanVideo:
        # https://github.com/kandinskylab/kandinsky-5/blob/main/download_models.py).
        HUNYUANVIDEO.component("vae"),
        ComponentSpec(
            "text_encoder",
            "transformers",
            "Qwen2_5_VLForConditionalGeneration",
            _QWEN25_VL_7B,
            "Qwen2_5_VLConfig",
            8_300_000_000,
            16_600_000_000,
            "https://huggingface.co/Comfy-Org/HunyuanVideo_1.5_repackaged/tree/main/split_files/text_encoders",
        ),
        clip_l_text("text_encoder_2", 492_000_000, "https://huggingface.co/openai/clip-vit-large-patch14"),
        tokenizer(),
        tokenizer("tokenizer_2", "clip"),
        # The Lite 5 s configs' scheduler_scale: 5, the flow-matching shift.
        scheduler("FlowMatchEulerDiscreteScheduler", shift=5.0),
    ),
    # The HunyuanVideo VAE (8x spatial, 4x temporal, 16 channels); 2x2 patches; 1792 wide, feed-forward 7168.
    geometry=Geometry(
        spatial=8,
        temporal=4,
        patch=(1, 2, 2),
        hidden=1792,
        ffn=7168,
        latent_channels=16,
        blocks=34,
        decoder_channels=128,
    ),
    other_download_bytes=12_000_000,
)

TINY_KANDINSKY5 = TinyModel(
    family="kandinsky5",
    arch=Architecture(
        pipeline_class="Kandinsky5T2VPipeline",
        components=(
            ComponentSpec(
                "transformer",
                "diffusers",
                "Kandinsky5Transformer3DModel",
                {
                    "in_visual_dim": 4,
                    "out_visual_dim": 4,
                    "time_dim": 16,
                    "patch_size": (1, 2, 2),
                    "model_dim": 16,
                    "ff_dim": 32,
                    "num_text_blocks": 1,
                    "num_visual_blocks": 1,
                    "axes_dims": (2, 2, 4),
                    "visual_cond": True,
                    "in_text_dim": 16,
                    "in_text_dim2": 8,
                },
            ),
            TINY_HUNYUANVIDEO.arch.component("vae"),
            ComponentSpec(
                "text_encoder",
                "transformers",
                "Qwen2_5_VLForConditionalGeneration",
                {
                    "text_config": TINY_QWEN_TEXT,
                    "vision_config": {
                        "depth": 1,
                        "hidden_size": 8,
                        "intermediate_size": 16,
                        "num_heads": 2,
                        "out_hidden_size": 16,
                        "fullatt_block_indexes": [0],
                    },
                    "image_token_id": WORD_VOCAB_SIZE - 1,
                    "video_token_id": WORD_VOCAB_SIZE - 2,
                },
                "Qwen2_5_VLConfig",
            ),
            tiny_clip_text("text_encoder_2", hidden_size=8),
            tokenizer(),
            tokenizer("tokenizer_2", "clip"),
            scheduler("FlowMatchEulerDiscreteScheduler", shift=5.0),
        ),
        geometry=Geometry(spatial=8, temporal=4, patch=(1, 2, 2), hidden=16, ffn=32, latent_channels=4),
    ),
    defaults={"width": 32, "height": 32, "num_frames": 9, "fps": 24, "steps": 3, "guidance": 1.0},
)

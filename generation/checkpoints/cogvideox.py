"""CogVideoX 2B and 5B (CogVideoXPipeline), by THUDM, now Z.ai (the Hub organisation was renamed zai-org)."""

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

# https://huggingface.co/THUDM/CogVideoX-2b/blame/ad5ce8664edfdc95cdb9773dd4f80048b25f69ac/transformer/config.json
_TRANSFORMER_2B = {
    "activation_fn": "gelu-approximate",
    "attention_bias": True,
    "attention_head_dim": 64,
    "dropout": 0.0,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 16,
    "max_text_seq_length": 226,
    "norm_elementwise_affine": True,
    "norm_eps": 1e-05,
    "num_attention_heads": 30,
    "num_layers": 30,
    "out_channels": 16,
    "patch_size": 2,
    "sample_frames": 49,
    "sample_height": 60,
    "sample_width": 90,
    "spatial_interpolation_scale": 1.875,
    "temporal_compression_ratio": 4,
    "temporal_interpolation_scale": 1.0,
    "text_embed_dim": 4096,
    "time_embed_dim": 512,
    "timestep_activation_fn": "silu",
}
# 5B: 48 heads, 42 layers, rotary positions (a re-save of THUDM/CogVideoX-5b snapshot 8fc5b281:
# https://huggingface.co/thu-ml/CogVideoX-RIFLEx-diffusers/blob/refs%2Fpr%2F1/transformer/config.json).
_TRANSFORMER_5B = {
    **_TRANSFORMER_2B,
    "num_attention_heads": 48,
    "num_layers": 42,
    "use_rotary_positional_embeddings": True,
    "use_learned_positional_embeddings": False,
}

# https://huggingface.co/THUDM/CogVideoX-2b/blame/3c9d823cba79e879738d89c3e72a8348ff9aa51b/vae/config.json
# 862,388,596 bytes of fp32 (215.6M parameters): https://huggingface.co/THUDM/CogVideoX-2b/tree/main/vae
_VAE = {
    "act_fn": "silu",
    "block_out_channels": [128, 256, 256, 512],
    "down_block_types": ["CogVideoXDownBlock3D"] * 4,
    "up_block_types": ["CogVideoXUpBlock3D"] * 4,
    "force_upcast": True,
    "in_channels": 3,
    "latent_channels": 16,
    "layers_per_block": 3,
    "norm_eps": 1e-06,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_height": 480,
    "sample_width": 720,
    "scaling_factor": 1.15258426,
    "temporal_compression_ratio": 4,
    "use_post_quant_conv": False,
    "use_quant_conv": False,
}

# https://huggingface.co/THUDM/CogVideoX-2b/blob/refs%2Fpr%2F2/scheduler/scheduler_config.json (5B: snr_shift 1.0)
_SCHEDULER = {
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "prediction_type": "v_prediction",
    "rescale_betas_zero_snr": True,
    "set_alpha_to_one": True,
    "snr_shift_scale": 3.0,
    "steps_offset": 0,
    "timestep_spacing": "trailing",
}


def _cogvideox(
    transformer: dict[str, object],
    heads: int,
    params: int,
    download: int,
    source: str,
    shift: float,
    scale: float,
) -> Architecture:
    hidden = heads * 64
    return Architecture(
        pipeline_class="CogVideoXPipeline",
        components=(
            ComponentSpec(
                "transformer",
                "diffusers",
                "CogVideoXTransformer3DModel",
                transformer,
                params=params,
                download_bytes=download,
                source=source,
            ),
            ComponentSpec(
                "vae",
                "diffusers",
                "AutoencoderKLCogVideoX",
                {**_VAE, "scaling_factor": scale},
                params=215_597_000,
                download_bytes=862_388_596,
                source="https://huggingface.co/THUDM/CogVideoX-2b/tree/main/vae",
            ),
            # 4.99 + 4.53 GB of 16-bit weights: https://huggingface.co/zai-org/CogVideoX-2b/tree/main/text_encoder
            t5_encoder(
                "text_encoder",
                T5_XXL,
                T5_XXL_PARAMS,
                9_520_000_000,
                "https://huggingface.co/zai-org/CogVideoX-2b/tree/main/text_encoder",
            ),
            tokenizer(),
            scheduler("CogVideoXDDIMScheduler", **{**_SCHEDULER, "snr_shift_scale": shift}),
        ),
        # 8x spatial, 4x temporal VAE; 2x2 patches; feed-forward 4x wide. The decoder's working memory grows
        # with the whole clip: the diffusers docs measure 19 GB to decode 49 frames at 720x480.
        geometry=Geometry(
            spatial=8,
            temporal=4,
            patch=(1, 2, 2),
            hidden=hidden,
            ffn=4 * hidden,
            latent_channels=16,
            blocks=hidden // 64,
            decode_chunk_frames=0,
            decoder_channels=128,
        ),
        other_download_bytes=792_000,  # spiece.model
    )


# 3.39 GB of 16-bit weights (1.695B): https://huggingface.co/THUDM/CogVideoX-2b/tree/main/transformer
COGVIDEOX_2B = _cogvideox(
    _TRANSFORMER_2B,
    30,
    1_695_000_000,
    3_390_000_000,
    "https://huggingface.co/THUDM/CogVideoX-2b/tree/main/transformer",
    3.0,
    1.15258426,
)
# 9.93 + 1.22 GB of bf16 (5.575B):
# https://huggingface.co/THUDM/CogVideoX-5b/tree/8fc5b281006c82b82d34fd2543d2f0ebb4e7e321/transformer
# The 5B VAE's scaling factor is 0.7 (https://huggingface.co/THUDM/CogVideoX-5b/discussions/23/files).
COGVIDEOX_5B = _cogvideox(
    _TRANSFORMER_5B,
    48,
    5_575_000_000,
    11_150_000_000,
    "https://huggingface.co/THUDM/CogVideoX-5b/tree/8fc5b281006c82b82d34fd2543d2f0ebb4e7e321/transformer",
    1.0,
    0.7,
)

TINY = TinyModel(
    family="cogvideox",
    arch=Architecture(
        pipeline_class="CogVideoXPipeline",
        components=(
            ComponentSpec(
                "transformer",
                "diffusers",
                "CogVideoXTransformer3DModel",
                {
                    "num_attention_heads": 4,
                    "attention_head_dim": 8,
                    "in_channels": 4,
                    "out_channels": 4,
                    "time_embed_dim": 2,
                    "text_embed_dim": TINY_TEXT_DIM,
                    "num_layers": 1,
                    "sample_width": 4,
                    "sample_height": 4,
                    "sample_frames": 9,
                    "patch_size": 2,
                    "temporal_compression_ratio": 4,
                    "max_text_seq_length": 226,  # the pipeline's default prompt length
                },
            ),
            ComponentSpec(
                "vae",
                "diffusers",
                "AutoencoderKLCogVideoX",
                {
                    "in_channels": 3,
                    "out_channels": 3,
                    "down_block_types": ["CogVideoXDownBlock3D"] * 4,
                    "up_block_types": ["CogVideoXUpBlock3D"] * 4,
                    "block_out_channels": [8, 8, 8, 8],
                    "latent_channels": 4,
                    "layers_per_block": 1,
                    "norm_num_groups": 2,
                    "temporal_compression_ratio": 4,
                },
            ),
            tiny_t5(),
            tokenizer(),
            scheduler("DDIMScheduler"),
        ),
        geometry=Geometry(spatial=8, temporal=4, patch=(1, 2, 2), hidden=32, ffn=128, latent_channels=4),
    ),
    defaults={"width": 32, "height": 32, "num_frames": 9, "fps": 8, "steps": 4, "guidance": 6.0},
)

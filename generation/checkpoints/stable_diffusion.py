"""The Stable-Diffusion-derived video models that made AI video memes famous: ModelScope text-to-video,
AnimateDiff (SD 1.5 plus a motion adapter) and Stable Video Diffusion. UNets, so the token geometry below
is only used for memory planning: latents at 1/8 of the picture, one "token" per latent pixel."""

from __future__ import annotations

from generation.architecture import Architecture, ComponentSpec, Geometry
from generation.checkpoints.shared import (
    TINY_TEXT_DIM,
    TinyModel,
    clip_l_text,
    scheduler,
    tiny_clip_text,
    tokenizer,
)

# The SD 1.x/2.x f8 VAE: https://huggingface.co/ali-vilab/text-to-video-ms-1.7b/raw/main/vae/config.json
# 335 MB of fp32, 167 MB of fp16 (83.7M parameters).
_SD_VAE = {
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_size": 512,
    "scaling_factor": 0.18215,
}
_SD_VAE_PARAMS = 83_600_000


def _unet_geometry(width: int, decode_chunk: int = 0) -> Geometry:
    # A UNet's largest activations are at its first stage: one "token" per latent pixel per frame, as wide
    # as that stage (320 channels for these UNets), with 4x feed-forward in its attention blocks.
    return Geometry(
        spatial=8,
        temporal=1,
        patch=(1, 1, 1),
        hidden=width,
        ffn=4 * width,
        latent_channels=4,
        blocks=16,
        decode_chunk_frames=decode_chunk,
    )


# ali-vilab/text-to-video-ms-1.7b (TextToVideoSDPipeline). Files: the fp16 variant (the model card loads it).
# UNet: https://huggingface.co/vdo/text-to-video-ms-1.7b/blame/main/unet/config.json (787 bytes, as the
# official file); 2.82 GB of fp16 (1.41B):
# https://huggingface.co/ali-vilab/text-to-video-ms-1.7b/tree/dfcbd420c640bce50f0622af114dcdce4506649c/unet
MODELSCOPE_1_7B = Architecture(
    pipeline_class="TextToVideoSDPipeline",
    components=(
        ComponentSpec(
            "unet",
            "diffusers",
            "UNet3DConditionModel",
            {
                "act_fn": "silu",
                "attention_head_dim": 64,
                "block_out_channels": [320, 640, 1280, 1280],
                "cross_attention_dim": 1024,
                "in_channels": 4,
                "layers_per_block": 2,
                "norm_eps": 1e-05,
                "norm_num_groups": 32,
                "out_channels": 4,
                "sample_size": 32,
                "down_block_types": [
                    "CrossAttnDownBlock3D",
                    "CrossAttnDownBlock3D",
                    "CrossAttnDownBlock3D",
                    "DownBlock3D",
                ],
                "up_block_types": [
                    "UpBlock3D",
                    "CrossAttnUpBlock3D",
                    "CrossAttnUpBlock3D",
                    "CrossAttnUpBlock3D",
                ],
            },
            params=1_410_000_000,
            download_bytes=2_820_000_000,
            source="https://huggingface.co/ali-vilab/text-to-video-ms-1.7b/tree/main/unet",
        ),
        ComponentSpec(
            "vae",
            "diffusers",
            "AutoencoderKL",
            _SD_VAE,
            params=_SD_VAE_PARAMS,
            download_bytes=167_000_000,
            source="https://huggingface.co/ali-vilab/text-to-video-ms-1.7b/tree/main/vae",
        ),
        # OpenCLIP ViT-H/14's text tower cut to 23 layers, as in SD 2.x; 681 MB of fp16 (340M):
        # https://huggingface.co/ali-vilab/text-to-video-ms-1.7b/blame/main/text_encoder/config.json
        ComponentSpec(
            "text_encoder",
            "transformers",
            "CLIPTextModel",
            {
                "hidden_act": "gelu",
                "hidden_size": 1024,
                "intermediate_size": 4096,
                "num_attention_heads": 16,
                "num_hidden_layers": 23,
                "max_position_embeddings": 77,
                "projection_dim": 512,
                "vocab_size": 49408,
                "layer_norm_eps": 1e-5,
                "bos_token_id": 0,
                "eos_token_id": 2,
                "pad_token_id": 1,
            },
            "CLIPTextConfig",
            340_500_000,
            681_000_000,
            "https://huggingface.co/ali-vilab/text-to-video-ms-1.7b/tree/d6b1e69ded35bafa15a6681bbc4012ae73c10c90/text_encoder",
        ),
        tokenizer(kind="clip"),
        # https://huggingface.co/ali-vilab/text-to-video-ms-1.7b-legacy/blob/main/scheduler/scheduler_config.json
        scheduler(
            "DDIMScheduler",
            beta_end=0.012,
            beta_schedule="scaled_linear",
            beta_start=0.00085,
            clip_sample=False,
            num_train_timesteps=1000,
            prediction_type="epsilon",
            set_alpha_to_one=False,
            steps_offset=1,
        ),
    ),
    denoisers=("unet",),
    geometry=_unet_geometry(320),
    other_download_bytes=2_000_000,
)

# stable-diffusion-v1-5/stable-diffusion-v1-5 with guoyww/animatediff-motion-adapter-v1-5-2 (AnimateDiffPipeline).
# SD 1.5 UNet (a re-save of runwayml/stable-diffusion-v1-5:
# https://huggingface.co/AkiKagura/mkgen-diffusion/blob/c7c8d8bac6dd63477fbc342a7a1ec3f90421b1e3/unet/config.json);
# 1.72 GB of fp16 (860M): https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5/tree/main/unet
_SD15_UNET = {
    "act_fn": "silu",
    "attention_head_dim": 8,
    "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False,
    "cross_attention_dim": 768,
    "down_block_types": [
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ],
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "out_channels": 4,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-5,
    "norm_num_groups": 32,
    "sample_size": 64,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}
ANIMATEDIFF_SD15 = Architecture(
    pipeline_class="AnimateDiffPipeline",
    components=(
        ComponentSpec(
            "unet",
            "diffusers",
            "UNet2DConditionModel",
            _SD15_UNET,
            params=860_000_000,
            download_bytes=1_720_000_000,
            source="https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5/tree/main/unet",
        ),
        # https://huggingface.co/guoyww/animatediff-motion-adapter-v1-5-2/blob/main/config.json (minus three keys
        # this diffusers no longer takes: geglu, no bias and no cross-attention are its built-in choices).
        # Both its files are fp32, 1.82 GB (455M), "fp16" included:
        # https://huggingface.co/guoyww/animatediff-motion-adapter-v1-5-2/tree/504374388860e52e206813f44f1ab60a3814152a
        ComponentSpec(
            "motion_adapter",
            "diffusers",
            "MotionAdapter",
            {
                "block_out_channels": [320, 640, 1280, 1280],
                "motion_layers_per_block": 2,
                "motion_max_seq_length": 32,
                "motion_mid_block_layers_per_block": 1,
                "motion_norm_num_groups": 32,
                "motion_num_attention_heads": 8,
                "use_motion_mid_block": True,
            },
            params=455_000_000,
            download_bytes=1_820_000_000,
            source="https://huggingface.co/guoyww/animatediff-motion-adapter-v1-5-2",
        ),
        ComponentSpec(
            "vae",
            "diffusers",
            "AutoencoderKL",
            _SD_VAE,
            params=_SD_VAE_PARAMS,
            download_bytes=167_000_000,
            source="https://huggingface.co/pt-sk/stable-diffusion-1.5/tree/e16ca03abc6a739c12111dcd57ad6e1ee50c94ef/vae",
        ),
        # 246 MB of fp16: https://huggingface.co/pcuenq/stable-diffusion-v1-5/tree/main/text_encoder
        clip_l_text(
            "text_encoder",
            246_000_000,
            "https://huggingface.co/pcuenq/stable-diffusion-v1-5/tree/main/text_encoder",
        ),
        tokenizer(kind="clip"),
        # The scheduler the diffusers AnimateDiff guide sets (DDIM, linear betas):
        # https://github.com/huggingface/diffusers/blob/main/docs/source/en/api/pipelines/animatediff.md
        scheduler(
            "DDIMScheduler",
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="linear",
            clip_sample=False,
            timestep_spacing="linspace",
            steps_offset=1,
        ),
    ),
    denoisers=("unet",),
    geometry=_unet_geometry(320),
    # SD 1.5's safety checker (608 MB in fp16): the download fetches every folder of the base's model index.
    other_download_bytes=608_000_000,
)

# https://huggingface.co/model-hub/stable-video-diffusion-img2vid/blob/main/scheduler/scheduler_config.json
_SVD_SCHEDULER = scheduler(
    "EulerDiscreteScheduler",
    beta_end=0.012,
    beta_schedule="scaled_linear",
    beta_start=0.00085,
    interpolation_type="linear",
    num_train_timesteps=1000,
    prediction_type="v_prediction",
    sigma_max=700.0,
    sigma_min=0.002,
    steps_offset=1,
    timestep_spacing="leading",
    timestep_type="continuous",
    use_karras_sigmas=True,
)

# stabilityai/stable-video-diffusion-img2vid-xt (StableVideoDiffusionPipeline), fp16 variant (4.51 GB).
# UNet (a verbatim duplicate: https://huggingface.co/model-hub/stable-video-diffusion-img2vid-xt/blob/main/unet/config.json);
# 3.05 GB of fp16 (1.525B): https://huggingface.co/stabilityai/stable-video-diffusion-img2vid-xt/tree/refs%2Fpr%2F64/unet
SVD_XT = Architecture(
    pipeline_class="StableVideoDiffusionPipeline",
    components=(
        ComponentSpec(
            "unet",
            "diffusers",
            "UNetSpatioTemporalConditionModel",
            {
                "addition_time_embed_dim": 256,
                "block_out_channels": [320, 640, 1280, 1280],
                "cross_attention_dim": 1024,
                "down_block_types": [
                    "CrossAttnDownBlockSpatioTemporal",
                    "CrossAttnDownBlockSpatioTemporal",
                    "CrossAttnDownBlockSpatioTemporal",
                    "DownBlockSpatioTemporal",
                ],
                "in_channels": 8,
                "layers_per_block": 2,
                "num_attention_heads": [5, 10, 20, 20],
                "num_frames": 25,
                "out_channels": 4,
                "projection_class_embeddings_input_dim": 768,
                "sample_size": 96,
                "transformer_layers_per_block": 1,
                "up_block_types": [
                    "UpBlockSpatioTemporal",
                    "CrossAttnUpBlockSpatioTemporal",
                    "CrossAttnUpBlockSpatioTemporal",
                    "CrossAttnUpBlockSpatioTemporal",
                ],
            },
            params=1_525_000_000,
            download_bytes=3_050_000_000,
            source="https://huggingface.co/stabilityai/stable-video-diffusion-img2vid-xt/tree/main/unet",
        ),
        # https://huggingface.co/monkseal555/alternate/blame/main/vae/config.json; 196 MB of fp16 (98M)
        ComponentSpec(
            "vae",
            "diffusers",
            "AutoencoderKLTemporalDecoder",
            {
                "block_out_channels": [128, 256, 512, 512],
                "down_block_types": ["DownEncoderBlock2D"] * 4,
                "force_upcast": True,
                "in_channels": 3,
                "latent_channels": 4,
                "layers_per_block": 2,
                "out_channels": 3,
                "sample_size": 768,
                "scaling_factor": 0.18215,
            },
            params=98_000_000,
            download_bytes=196_000_000,
            source="https://huggingface.co/stabilityai/stable-video-diffusion-img2vid-xt/tree/ad021091291e0eeddcfa57452a83dbc1e2760cc4/vae",
        ),
        # OpenCLIP ViT-H/14's vision tower; 1.26 GB of fp16 (630M):
        # https://huggingface.co/stabilityai/stable-video-diffusion-img2vid-xt/blame/main/image_encoder/config.json
        ComponentSpec(
            "image_encoder",
            "transformers",
            "CLIPVisionModelWithProjection",
            {
                "hidden_act": "gelu",
                "hidden_size": 1280,
                "image_size": 224,
                "intermediate_size": 5120,
                "layer_norm_eps": 1e-5,
                "num_attention_heads": 16,
                "num_channels": 3,
                "num_hidden_layers": 32,
                "patch_size": 14,
                "projection_dim": 1024,
            },
            "CLIPVisionConfig",
            630_000_000,
            1_260_000_000,
            "https://huggingface.co/stabilityai/stable-video-diffusion-img2vid-xt/tree/432149c8ff8775073416c9b1dd615b24e1acaddc/image_encoder",
        ),
        ComponentSpec("feature_extractor", "transformers", "CLIPImageProcessor"),
        _SVD_SCHEDULER,
    ),
    denoisers=("unet",),
    # The pipeline decodes 8 frames at a time (the SVD family's decode_chunk_size, as the diffusers SVD guide).
    geometry=_unet_geometry(320, decode_chunk=8),
)

_TINY_SD_VAE = ComponentSpec(
    "vae",
    "diffusers",
    "AutoencoderKL",
    {
        "block_out_channels": [8],
        "in_channels": 3,
        "out_channels": 3,
        "down_block_types": ["DownEncoderBlock2D"],
        "up_block_types": ["UpDecoderBlock2D"],
        "latent_channels": 4,
        "norm_num_groups": 4,
        "sample_size": 32,
    },
)
_TINY_GEOMETRY = _unet_geometry(16)

TINY_MODELSCOPE = TinyModel(
    family="modelscope",
    arch=Architecture(
        pipeline_class="TextToVideoSDPipeline",
        components=(
            ComponentSpec(
                "unet",
                "diffusers",
                "UNet3DConditionModel",
                {
                    "block_out_channels": (8, 16),
                    "layers_per_block": 1,
                    "sample_size": 32,
                    "in_channels": 4,
                    "out_channels": 4,
                    "down_block_types": ("CrossAttnDownBlock3D", "DownBlock3D"),
                    "up_block_types": ("UpBlock3D", "CrossAttnUpBlock3D"),
                    "cross_attention_dim": TINY_TEXT_DIM,
                    "attention_head_dim": 4,
                    "norm_num_groups": 4,
                },
            ),
            _TINY_SD_VAE,
            tiny_clip_text("text_encoder"),
            tokenizer(kind="clip"),
            scheduler(
                "DDIMScheduler",
                beta_start=0.00085,
                beta_end=0.012,
                beta_schedule="scaled_linear",
                clip_sample=False,
                set_alpha_to_one=False,
            ),
        ),
        denoisers=("unet",),
        geometry=_TINY_GEOMETRY,
    ),
    defaults={"width": 32, "height": 32, "num_frames": 8, "fps": 8, "steps": 4, "guidance": 9.0},
)

TINY_ANIMATEDIFF = TinyModel(
    family="animatediff",
    arch=Architecture(
        pipeline_class="AnimateDiffPipeline",
        components=(
            ComponentSpec(
                "unet",
                "diffusers",
                "UNet2DConditionModel",
                {
                    "block_out_channels": (8, 16),
                    "layers_per_block": 1,
                    "sample_size": 32,
                    "in_channels": 4,
                    "out_channels": 4,
                    "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
                    "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
                    "cross_attention_dim": TINY_TEXT_DIM,
                    "norm_num_groups": 2,
                },
            ),
            ComponentSpec(
                "motion_adapter",
                "diffusers",
                "MotionAdapter",
                {
                    "block_out_channels": (8, 16),
                    "motion_layers_per_block": 1,
                    "motion_norm_num_groups": 2,
                    "motion_num_attention_heads": 4,
                },
            ),
            _TINY_SD_VAE,
            tiny_clip_text("text_encoder"),
            tokenizer(kind="clip"),
            scheduler(
                "DDIMScheduler", beta_start=0.00085, beta_end=0.012, beta_schedule="linear", clip_sample=False
            ),
        ),
        denoisers=("unet",),
        geometry=_TINY_GEOMETRY,
        pipeline_config={"feature_extractor": None, "image_encoder": None},
    ),
    defaults={"width": 32, "height": 32, "num_frames": 8, "fps": 8, "steps": 4, "guidance": 7.5},
)

TINY_SVD = TinyModel(
    family="svd",
    arch=Architecture(
        pipeline_class="StableVideoDiffusionPipeline",
        components=(
            # GroupNorm's 32 groups set the smallest widths SVD's blocks accept.
            ComponentSpec(
                "unet",
                "diffusers",
                "UNetSpatioTemporalConditionModel",
                {
                    "block_out_channels": (32, 64),
                    "layers_per_block": 1,
                    "sample_size": 32,
                    "in_channels": 8,
                    "out_channels": 4,
                    "down_block_types": ("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
                    "up_block_types": ("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
                    "cross_attention_dim": TINY_TEXT_DIM,
                    "num_attention_heads": 4,
                    "projection_class_embeddings_input_dim": 96,
                    "addition_time_embed_dim": 32,
                },
            ),
            ComponentSpec(
                "vae",
                "diffusers",
                "AutoencoderKLTemporalDecoder",
                {
                    "block_out_channels": [32, 64],
                    "in_channels": 3,
                    "out_channels": 3,
                    "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
                    "latent_channels": 4,
                },
            ),
            ComponentSpec(
                "image_encoder",
                "transformers",
                "CLIPVisionModelWithProjection",
                {
                    "hidden_size": TINY_TEXT_DIM,
                    "projection_dim": TINY_TEXT_DIM,
                    "num_hidden_layers": 2,
                    "num_attention_heads": 4,
                    "image_size": 224,  # the pipeline always resizes to CLIP's 224x224
                    "intermediate_size": 37,
                    "patch_size": 32,
                },
                "CLIPVisionConfig",
            ),
            ComponentSpec(
                "feature_extractor", "transformers", "CLIPImageProcessor", {"crop_size": 32, "size": 32}
            ),
            _SVD_SCHEDULER,
        ),
        denoisers=("unet",),
        geometry=_TINY_GEOMETRY,
    ),
    defaults={"width": 32, "height": 32, "num_frames": 4, "fps": 7, "steps": 3, "guidance": 3.0},
)

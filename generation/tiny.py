"""Tiny random-weight pipelines built from config, with no Hub access.

They exercise the same ``from_pretrained`` path a real model takes, in well under a second on a CPU, for
tests, CI and trying the bot on a machine without a GPU. Their output is noise: that is expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from generation.presets import SIDECAR_NAME

_WORDS = ["a", "the", "cat", "dog", "eating", "spaghetti", "dancing", "on", "in", "moon", "video", "of"]
_TEXT_DIM = 32


def make_tiny(directory: str | Path, family: str, seed: int = 0) -> Path:
    """Write a tiny pipeline of ``family`` ("wan" or "ltx") to ``directory`` and return it."""
    if family not in _BUILDERS:
        raise ValueError(f"unknown family {family!r}: choose from {', '.join(_BUILDERS)}")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    pipe, defaults = _BUILDERS[family]()
    pipe.save_pretrained(out)
    (out / SIDECAR_NAME).write_text(json.dumps({"family": family, **defaults}, indent=2) + "\n")
    return out


def _tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(_WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )


def _text_encoder(kind: str) -> Any:
    """A two-layer T5 ("t5", LTX-Video) or UMT5 ("umt5", Wan) encoder whose width the transformers expect."""
    import transformers

    prefix = {"t5": "T5", "umt5": "UMT5"}[kind]
    config = getattr(transformers, f"{prefix}Config")(
        vocab_size=len(_WORDS) + 3,
        d_model=_TEXT_DIM,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
    )
    return getattr(transformers, f"{prefix}EncoderModel")(config).eval()


def _wan_transformer(in_channels: int = 16, out_channels: int = 16, **extra: Any) -> Any:
    """The tiny Wan transformer of diffusers' own tests; image-to-video adds channels and image_dim."""
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=in_channels,
        out_channels=out_channels,
        text_dim=_TEXT_DIM,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        **extra,
    )


def _sd_vae() -> Any:
    """A one-block Stable Diffusion VAE (ModelScope and AnimateDiff decode frame by frame with it)."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=[8],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D"],
        latent_channels=4,
        norm_num_groups=4,
        sample_size=32,
    )


def _clip_text_encoder(vocab_size: int, hidden_size: int = _TEXT_DIM) -> Any:
    from transformers import CLIPTextConfig, CLIPTextModel

    config = CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=hidden_size,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        vocab_size=vocab_size,
        projection_dim=hidden_size,
    )
    return CLIPTextModel(config).eval()


def _wan() -> tuple[Any, dict[str, Any]]:
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
    )

    transformer = _wan_transformer()
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    pipe = WanPipeline(
        tokenizer=_tokenizer(),
        text_encoder=_text_encoder("umt5"),
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        transformer=transformer,
    )
    return pipe, {"width": 64, "height": 64, "num_frames": 9, "fps": 8, "steps": 4, "guidance": 5.0}


def _wan22() -> tuple[Any, dict[str, Any]]:
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
    )

    z_dim = 8
    # Wan 2.2's VAE: residual, patchified 2x2, 16x spatial compression.
    vae = AutoencoderKLWan(
        base_dim=8,
        z_dim=z_dim,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
        is_residual=True,
        in_channels=12,
        out_channels=12,
        patch_size=2,
        scale_factor_spatial=16,
        latents_mean=[0.0] * z_dim,
        latents_std=[1.0] * z_dim,
    )
    transformer = _wan_transformer(in_channels=z_dim, out_channels=z_dim)
    pipe = WanPipeline(
        tokenizer=_tokenizer(),
        text_encoder=_text_encoder("umt5"),
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0),
        transformer=transformer,
        expand_timesteps=True,
    )
    return pipe, {"width": 64, "height": 64, "num_frames": 9, "fps": 8, "steps": 3, "guidance": 5.0}


def _ltx_i2v() -> tuple[Any, dict[str, Any]]:
    from diffusers import LTXImageToVideoPipeline

    text_to_video, defaults = _ltx()
    return LTXImageToVideoPipeline(**text_to_video.components), defaults


def _svd() -> tuple[Any, dict[str, Any]]:
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    # GroupNorm's 32 groups set the smallest widths SVD's blocks accept.
    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=8,
        out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=_TEXT_DIM,
        num_attention_heads=4,
        projection_class_embeddings_input_dim=96,
        addition_time_embed_dim=32,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
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
    vae = AutoencoderKLTemporalDecoder(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        latent_channels=4,
    )
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=_TEXT_DIM,
            projection_dim=_TEXT_DIM,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=224,  # the pipeline always resizes to CLIP's 224x224
            intermediate_size=37,
            patch_size=32,
        )
    ).eval()
    pipe = StableVideoDiffusionPipeline(
        vae=vae,
        image_encoder=image_encoder,
        unet=unet,
        scheduler=scheduler,
        feature_extractor=CLIPImageProcessor(crop_size=32, size=32),
    )
    return pipe, {"width": 32, "height": 32, "num_frames": 4, "fps": 7, "steps": 3, "guidance": 3.0}


def _wan_i2v() -> tuple[Any, dict[str, Any]]:
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    # Input channels: the noise, plus the image's latents and its mask.
    transformer = _wan_transformer(in_channels=36, out_channels=16, image_dim=4)
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    image_encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=16,
            patch_size=1,
        )
    ).eval()
    pipe = WanImageToVideoPipeline(
        tokenizer=_tokenizer(),
        text_encoder=_text_encoder("umt5"),
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        transformer=transformer,
        image_encoder=image_encoder,
        image_processor=CLIPImageProcessor(crop_size=32, size=32),
    )
    return pipe, {"width": 32, "height": 32, "num_frames": 9, "fps": 8, "steps": 3, "guidance": 5.0}


def _hunyuanvideo() -> tuple[Any, dict[str, Any]]:
    from diffusers import (
        AutoencoderKLHunyuanVideo,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideoPipeline,
        HunyuanVideoTransformer3DModel,
    )
    from transformers import LlamaConfig, LlamaModel

    transformer = HunyuanVideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        num_attention_heads=2,
        attention_head_dim=10,
        num_layers=1,
        num_single_layers=1,
        num_refiner_layers=1,
        patch_size=1,
        patch_size_t=1,
        guidance_embeds=True,
        text_embed_dim=16,
        pooled_projection_dim=8,
        rope_axes_dim=(2, 4, 4),
    )
    vae = AutoencoderKLHunyuanVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=("HunyuanVideoDownBlock3D",) * 4,
        up_block_types=("HunyuanVideoUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        act_fn="silu",
        norm_num_groups=4,
        scaling_factor=0.476986,
        spatial_compression_ratio=8,
        temporal_compression_ratio=4,
        mid_block_add_attention=True,
    )
    tokenizer, tokenizer_2 = _tokenizer(), _clip_tokenizer()
    text_encoder = LlamaModel(
        LlamaConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=0,
            hidden_size=16,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(tokenizer),
            hidden_act="gelu",
        )
    ).eval()
    text_encoder_2 = _clip_text_encoder(len(tokenizer_2), hidden_size=8)
    pipe = HunyuanVideoPipeline(
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
    )
    return pipe, {"width": 32, "height": 32, "num_frames": 9, "fps": 8, "steps": 3, "guidance": 6.0}


def _ltx() -> tuple[Any, dict[str, Any]]:
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=_TEXT_DIM,
    )
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    pipe = LTXPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=_text_encoder("t5"),
        tokenizer=_tokenizer(),
        transformer=transformer,
    )
    return pipe, {"width": 32, "height": 32, "num_frames": 9, "fps": 8, "steps": 4, "guidance": 3.0}


def _cogvideox() -> tuple[Any, dict[str, Any]]:
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
        DDIMScheduler,
    )

    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4,
        attention_head_dim=8,
        in_channels=4,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=_TEXT_DIM,
        num_layers=1,
        sample_width=4,
        sample_height=4,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=226,  # the pipeline's default prompt length
    )
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    pipe = CogVideoXPipeline(
        tokenizer=_tokenizer(),
        text_encoder=_text_encoder("t5"),
        vae=vae,
        transformer=transformer,
        scheduler=DDIMScheduler(),
    )
    return pipe, {"width": 32, "height": 32, "num_frames": 9, "fps": 8, "steps": 4, "guidance": 6.0}


def _clip_tokenizer() -> Any:
    """A CLIP BPE tokenizer over single letters, from vocab.json and merges.txt written on the spot."""
    import tempfile

    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        vocab[letter] = len(vocab)
        vocab[letter + "</w>"] = len(vocab)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab))
        (Path(tmp) / "merges.txt").write_text("#version: 0.2\n")
        return CLIPTokenizer(
            str(Path(tmp) / "vocab.json"), str(Path(tmp) / "merges.txt"), model_max_length=77
        )


def _modelscope() -> tuple[Any, dict[str, Any]]:
    from diffusers import DDIMScheduler, TextToVideoSDPipeline, UNet3DConditionModel

    tokenizer = _clip_tokenizer()
    text_encoder = _clip_text_encoder(len(tokenizer))
    unet = UNet3DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
        up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
        cross_attention_dim=_TEXT_DIM,
        attention_head_dim=4,
        norm_num_groups=4,
    )
    vae = _sd_vae()
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
    )
    pipe = TextToVideoSDPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler
    )
    return pipe, {"width": 32, "height": 32, "num_frames": 8, "fps": 8, "steps": 4, "guidance": 9.0}


def _animatediff() -> tuple[Any, dict[str, Any]]:
    from diffusers import (
        AnimateDiffPipeline,
        DDIMScheduler,
        MotionAdapter,
        UNet2DConditionModel,
    )

    tokenizer = _clip_tokenizer()
    text_encoder = _clip_text_encoder(len(tokenizer))
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=_TEXT_DIM,
        norm_num_groups=2,
    )
    adapter = MotionAdapter(
        block_out_channels=(8, 16),
        motion_layers_per_block=1,
        motion_norm_num_groups=2,
        motion_num_attention_heads=4,
    )
    vae = _sd_vae()
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="linear", clip_sample=False)
    pipe = AnimateDiffPipeline(
        unet=unet,
        motion_adapter=adapter,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        feature_extractor=None,
        image_encoder=None,
    )
    return pipe, {"width": 32, "height": 32, "num_frames": 8, "fps": 8, "steps": 4, "guidance": 7.5}


_BUILDERS = {
    "wan": _wan,
    "ltx": _ltx,
    "cogvideox": _cogvideox,
    "modelscope": _modelscope,
    "animatediff": _animatediff,
    "hunyuanvideo": _hunyuanvideo,
    "ltx-i2v": _ltx_i2v,
    "svd": _svd,
    "wan-i2v": _wan_i2v,
    "wan2.2": _wan22,
}

"""Prompt in, frames out, encoded clip out.

A library over Hugging Face diffusers and ffmpeg. It knows nothing of Discord or of the job store.
"""

from generation.encode import ClipTooLargeError, EncodedClip, encode_mp4
from generation.generator import (
    RenderCancelledError,
    RenderedClip,
    RenderInputError,
    RenderRequest,
    VideoGenerator,
)
from generation.images import ImageRejectedError, encode_png, load_image
from generation.presets import PRESETS, ModelPreset, RenderDefaults, RenderOverrides, resolve_model

__all__ = [
    "PRESETS",
    "ClipTooLargeError",
    "EncodedClip",
    "ImageRejectedError",
    "ModelPreset",
    "RenderCancelledError",
    "RenderDefaults",
    "RenderInputError",
    "RenderOverrides",
    "RenderRequest",
    "RenderedClip",
    "VideoGenerator",
    "encode_mp4",
    "encode_png",
    "load_image",
    "resolve_model",
]

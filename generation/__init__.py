"""Prompt in, frames out, encoded clip out.

A library over Hugging Face diffusers and ffmpeg. It knows nothing of Discord or of the job store. Names are
imported on first use, so that importing the presets or the planner does not load torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "PRESETS": "generation.presets",
    "ModelPreset": "generation.presets",
    "RenderDefaults": "generation.families",
    "RenderOverrides": "generation.presets",
    "resolve_model": "generation.presets",
    "ClipTooLargeError": "generation.encode",
    "EncodedClip": "generation.encode",
    "encode_mp4": "generation.encode",
    "RenderCancelledError": "generation.generator",
    "RenderInputError": "generation.generator",
    "RenderRequest": "generation.generator",
    "RenderedClip": "generation.generator",
    "VideoGenerator": "generation.generator",
    "ImageRejectedError": "generation.images",
    "encode_png": "generation.images",
    "load_image": "generation.images",
}

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

if TYPE_CHECKING:
    from generation.encode import ClipTooLargeError, EncodedClip, encode_mp4
    from generation.families import RenderDefaults
    from generation.generator import (
        RenderCancelledError,
        RenderedClip,
        RenderInputError,
        RenderRequest,
        VideoGenerator,
    )
    from generation.images import ImageRejectedError, encode_png, load_image
    from generation.presets import PRESETS, ModelPreset, RenderOverrides, resolve_model


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'generation' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)

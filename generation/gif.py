"""Animated GIFs for short clips, with provenance in the GIF's comment block, never over a byte limit."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from generation.encode import ClipTooLargeError, EncodedClip

MAX_GIF_SECONDS = 6.0
GIF_MAX_FPS = 15  # GIF delays are in hundredths of a second, and players cap high rates anyway


def encode_gif(
    frames: np.ndarray, fps: int, out_path: str | os.PathLike[str], max_bytes: int, comment: str = ""
) -> EncodedClip:
    """Write ``frames`` as a looping GIF at most ``max_bytes``, shrinking the picture until it fits."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
        raise ValueError(
            f"frames must be uint8 (frames, height, width, 3), got {frames.dtype} {frames.shape}"
        )
    count, height, width = frames.shape[:3]
    if count / fps > MAX_GIF_SECONDS:
        raise ValueError(f"GIFs are for clips of at most {MAX_GIF_SECONDS:g} seconds")
    # Keep every frame's timing: drop frames only to bring very high rates down to what GIF plays.
    step = max(1, round(fps / GIF_MAX_FPS))
    kept = frames[::step]
    gif_fps = fps / step
    scale = 1.0
    for attempt in range(1, 9):
        w, h = max(2, int(width * scale)), max(2, int(height * scale))
        images = [
            Image.fromarray(f).resize((w, h), Image.Resampling.LANCZOS) if scale < 1 else Image.fromarray(f)
            for f in kept
        ]
        buffer = io.BytesIO()
        images[0].save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=round(1000 / gif_fps),
            loop=0,
            comment=comment.encode("utf-8")[: 255 * 255],
        )
        data = buffer.getvalue()
        if len(data) <= max_bytes:
            Path(out_path).write_bytes(data)
            return EncodedClip(Path(out_path), len(data), w, h, round(gif_fps), len(kept), attempt)
        scale *= 0.75 * (max_bytes / len(data)) ** 0.5 if len(data) > 2 * max_bytes else 0.8
        if w < 16 or h < 16:
            break
    raise ClipTooLargeError(f"a GIF of this clip does not fit in {max_bytes} bytes")

"""A small visible "AI" badge in a corner of every frame, for servers that want provenance on screen."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LABEL = "AI"


def add_watermark(frames: np.ndarray) -> np.ndarray:
    """Return ``frames`` (uint8, frames x height x width x 3) with a white-on-dark "AI" badge bottom right."""
    _, height, width, _ = frames.shape
    badge = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(badge)
    # Start at a twelfth of the short side and shrink until the badge fits the bottom-right quarter.
    for size in range(max(4, min(width, height) // 12), 3, -1):
        font = ImageFont.load_default(size=size)
        left, top, right, bottom = draw.textbbox((0, 0), LABEL, font=font)
        pad = max(1, size // 4)
        box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
        if box_w + pad <= width // 2 and box_h + pad <= height // 2:
            break
    else:
        return frames  # too small a frame to carry a legible badge
    x0, y0 = width - box_w - pad, height - box_h - pad
    draw.rectangle((x0, y0, x0 + box_w, y0 + box_h), fill=(0, 0, 0, 150))
    draw.text((x0 + pad - left, y0 + pad - top), LABEL, font=font, fill=(255, 255, 255, 235))
    overlay = np.asarray(badge, dtype=np.float32)
    alpha = overlay[..., 3:4] / 255.0
    blended = frames.astype(np.float32) * (1 - alpha) + overlay[..., :3] * alpha
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)

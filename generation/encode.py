"""Encode frames to an H.264 MP4 that never exceeds a byte limit."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import numpy as np

from generation.ffmpeg_binary import ffmpeg_executable

# Quality of the first attempt; most short clips fit well under Discord's 10 MiB at this setting.
DEFAULT_CRF = 23
# Below this many bits per pixel per frame H.264 falls apart; shrink the picture instead.
MIN_BITS_PER_PIXEL = 0.02
# Container overhead and rate-control overshoot held back from the byte budget.
BUDGET_MARGIN = 0.9
MAX_ATTEMPTS = 12
# x264 cannot produce anything watchable (or at all) below this many bits per second.
MIN_BITRATE = 20_000


class ClipTooLargeError(Exception):
    """No encoding of the clip fits the byte limit."""


@dataclass(frozen=True)
class EncodedClip:
    path: Path
    size_bytes: int
    width: int
    height: int
    fps: int
    num_frames: int
    attempts: int


def encode_mp4(
    frames: np.ndarray,
    fps: int,
    out_path: str | os.PathLike[str],
    max_bytes: int,
    metadata: dict[str, str] | None = None,
) -> EncodedClip:
    """Write ``frames`` (uint8, frames x height x width x 3) as MP4 at ``fps``, at most ``max_bytes``.

    The first attempt uses constant quality; if that is too large the bitrate is derived from the
    duration and stepped down, then the picture is scaled down, until the verified size fits.
    """
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
        raise ValueError(
            f"frames must be uint8 (frames, height, width, 3), got {frames.dtype} {frames.shape}"
        )
    if fps <= 0 or max_bytes <= 0:
        raise ValueError("fps and max_bytes must be positive")
    out = Path(out_path)
    num_frames, height, width = frames.shape[:3]
    duration = num_frames / fps
    raw = np.ascontiguousarray(frames).tobytes()

    scale = 1.0
    bitrate: int | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        w, h = _even(width * scale), _even(height * scale)
        size = _encode_once(raw, width, height, fps, w, h, out, bitrate, metadata or {})
        if size <= max_bytes:
            return EncodedClip(out, size, w, h, fps, num_frames, attempt)
        budget = int(max_bytes * 8 * BUDGET_MARGIN / duration)
        bitrate = budget if bitrate is None else min(budget, int(bitrate * 0.8))
        if bitrate < MIN_BITRATE:
            break
        if bitrate < MIN_BITS_PER_PIXEL * w * h * fps:
            scale *= 0.75
            if _even(width * scale) < 16 or _even(height * scale) < 16:
                break
            bitrate = budget
    out.unlink(missing_ok=True)
    raise ClipTooLargeError(f"a {duration:.1f}s clip cannot be encoded in {max_bytes} bytes")


def _even(pixels: float) -> int:
    return max(2, int(pixels) // 2 * 2)


def _encode_once(
    raw: bytes,
    src_w: int,
    src_h: int,
    fps: int,
    w: int,
    h: int,
    out: Path,
    bitrate: int | None,
    metadata: dict[str, str],
) -> int:
    stream = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{src_w}x{src_h}", framerate=fps)
    if (w, h) != (src_w, src_h):
        stream = stream.filter("scale", w, h, flags="lanczos")
    rate: dict[str, str | int] = (
        {"crf": DEFAULT_CRF}
        if bitrate is None
        else {"video_bitrate": bitrate, "maxrate": bitrate, "bufsize": bitrate}
    )
    tags = {f"metadata:g:{i}": f"{k}={v}" for i, (k, v) in enumerate(metadata.items())}
    fd, tmp = tempfile.mkstemp(suffix=".mp4", dir=out.parent)
    os.close(fd)
    try:
        stream.output(
            tmp,
            vcodec="libx264",
            pix_fmt="yuv420p",
            preset="medium",
            movflags="+faststart",
            r=fps,
            an=None,
            **rate,
            **tags,
        ).overwrite_output().run(cmd=ffmpeg_executable(), input=raw, capture_stdout=True, capture_stderr=True)
        os.replace(tmp, out)
    except ffmpeg.Error as exc:
        stderr = exc.stderr.decode(errors="replace")[-2000:] if exc.stderr else ""
        raise RuntimeError(f"ffmpeg failed: {stderr}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out.stat().st_size

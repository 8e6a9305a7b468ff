"""Smoother clips: raise a clip's frame rate by motion-compensated interpolation (ffmpeg's minterpolate).

Models such as Wan 2.1 (16 fps), CogVideoX (8 fps) and SVD (7 fps) look choppy next to phone video. The
interpolated clip keeps the same span and starts on the model's own first frame; it has
``(n - 1) * target / fps + 1`` frames (rounded down), so the card and the metadata stay true.
"""

from __future__ import annotations

import numpy as np

from generation.ffmpeg_binary import run_ffmpeg

# Motion-compensated interpolation with overlapped blocks and bidirectional motion search: the
# highest-quality mode minterpolate offers (https://ffmpeg.org/ffmpeg-filters.html#minterpolate). Holding the
# last frame one extra tick lets it reach the final timestamp (it stops a frame or two early otherwise).
_MOTION = "tpad=stop_mode=clone:stop=1,minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"
# minterpolate's motion search needs 32 pixels a side; smaller pictures are blended (ffmpeg's framerate).
_BLEND = "framerate=fps={fps}"
MIN_MOTION_SIDE = 32


def interpolated_frame_count(num_frames: int, fps: int, target_fps: int) -> int:
    """Frames of a clip of ``num_frames`` at ``fps`` resampled to ``target_fps`` over the same span."""
    return (num_frames - 1) * target_fps // fps + 1


def interpolate(frames: np.ndarray, fps: int, target_fps: int) -> np.ndarray:
    """``frames`` (uint8, frames x height x width x 3) at ``target_fps``; unchanged unless that is higher."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
        raise ValueError(
            f"frames must be uint8 (frames, height, width, 3), got {frames.dtype} {frames.shape}"
        )
    if fps <= 0 or target_fps <= 0:
        raise ValueError("frame rates must be positive")
    count, height, width = frames.shape[:3]
    if target_fps <= fps or count < 2:
        return frames
    wanted = interpolated_frame_count(count, fps, target_fps)
    chain = _MOTION if min(height, width) >= MIN_MOTION_SIDE else _BLEND
    raw = run_ffmpeg(
        [
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", str(fps),
            "-i", "pipe:0",
            "-vf", "format=yuv444p," + chain.format(fps=target_fps),
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
        ],
        np.ascontiguousarray(frames).tobytes(),
    )  # fmt: skip
    out = np.frombuffer(raw, dtype=np.uint8)
    frame_bytes = height * width * 3
    got = len(out) // frame_bytes
    if got < wanted - 1:
        raise RuntimeError(f"frame interpolation returned {got} frames, expected {wanted}")
    out = out[: got * frame_bytes].reshape(got, height, width, 3)
    if got < wanted:
        out = np.concatenate([out, out[-1:]])
    return out[:wanted].copy()

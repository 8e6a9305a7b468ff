"""Encode frames (and a model's sound, if any) to an H.264/AAC MP4 that never exceeds a byte limit."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generation.audio import AudioTrack
from generation.ffmpeg_binary import run_ffmpeg

# Quality of the first attempt; most short clips fit well under Discord's 10 MiB at this setting.
DEFAULT_CRF = 23
# Below this many bits per pixel per frame H.264 falls apart; shrink the picture instead.
MIN_BITS_PER_PIXEL = 0.02
# Container overhead and rate-control overshoot held back from the byte budget.
BUDGET_MARGIN = 0.9
MAX_ATTEMPTS = 12
# x264 cannot produce anything watchable (or at all) below this many bits per second.
MIN_BITRATE = 20_000
# AAC rates: clear speech and effects at the first; the second when the picture needs the room.
AUDIO_BITRATE = 128_000
LOW_AUDIO_BITRATE = 48_000


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
    has_audio: bool = False
    signed: bool = False  # carries Content Credentials (generation.output.write_clip)


def encode_mp4(
    frames: np.ndarray,
    fps: int,
    out_path: str | os.PathLike[str],
    max_bytes: int,
    metadata: dict[str, str] | None = None,
    *,
    audio: AudioTrack | None = None,
) -> EncodedClip:
    """Write ``frames`` (uint8, frames x height x width x 3) as MP4 at ``fps``, at most ``max_bytes``.

    ``audio`` is muxed as AAC, cut or padded to the picture's length. The first attempt uses constant
    quality; if that is too large the video bitrate is derived from the duration, less the audio's share,
    and stepped down, then the picture is scaled down, until the verified size fits.
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
    pcm = audio.fitted(duration) if audio is not None else None
    audio_bitrate = AUDIO_BITRATE

    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".encode-") as workdir:
        sound = None
        if pcm is not None:
            sound = Path(workdir) / "audio.f32"
            sound.write_bytes(pcm.interleaved())
        scale = 1.0
        bitrate: int | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            w, h = _even(width * scale), _even(height * scale)
            video = _VideoInput(raw, width, height, fps, w, h)
            audio_in = None if pcm is None or sound is None else _AudioInput(sound, pcm, audio_bitrate)
            size = _encode_once(video, audio_in, out, Path(workdir), bitrate, metadata or {})
            if size <= max_bytes:
                return EncodedClip(out, size, w, h, fps, num_frames, attempt, has_audio=pcm is not None)
            total = int(max_bytes * 8 * BUDGET_MARGIN / duration)
            if pcm is not None and total - audio_bitrate < MIN_BITRATE * 4:
                audio_bitrate = LOW_AUDIO_BITRATE
            budget = total - (audio_bitrate if pcm is not None else 0)
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


@dataclass(frozen=True)
class _VideoInput:
    raw: bytes
    src_w: int
    src_h: int
    fps: int
    w: int
    h: int


@dataclass(frozen=True)
class _AudioInput:
    path: Path
    track: AudioTrack
    bitrate: int


def _encode_once(
    video: _VideoInput,
    audio: _AudioInput | None,
    out: Path,
    workdir: Path,
    bitrate: int | None,
    metadata: dict[str, str],
) -> int:
    args = [
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{video.src_w}x{video.src_h}",
        "-framerate", str(video.fps), "-i", "pipe:0",
    ]  # fmt: skip
    if audio is not None:
        args += [
            "-f", "f32le", "-ar", str(audio.track.sample_rate), "-ac", str(audio.track.channels),
            "-i", str(audio.path),
        ]  # fmt: skip
    if (video.w, video.h) != (video.src_w, video.src_h):
        args += ["-vf", f"scale={video.w}:{video.h}:flags=lanczos"]
    args += [
        "-map",
        "0:v:0",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-preset",
        "medium",
        "-r",
        str(video.fps),
    ]
    if bitrate is None:
        args += ["-crf", str(DEFAULT_CRF)]
    else:
        args += ["-b:v", str(bitrate), "-maxrate", str(bitrate), "-bufsize", str(bitrate)]
    if audio is not None:
        args += ["-map", "1:a:0", "-c:a", "aac", "-b:a", str(audio.bitrate)]
    for key, value in metadata.items():
        args += ["-metadata", f"{key}={value}"]
    partial = workdir / "partial.mp4"
    args += ["-movflags", "+faststart", "-f", "mp4", "-y", str(partial)]
    run_ffmpeg(args, video.raw)
    os.replace(partial, out)
    return out.stat().st_size

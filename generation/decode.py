"""Reading a posted clip back into frames and sound, to continue it (Extend)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generation.audio import AudioTrack
from generation.ffmpeg_binary import ffmpeg_executable, run_ffmpeg

# Stereo at 48 kHz: what the encoder writes, and what the sound of a continued clip is read back as.
SAMPLE_RATE = 48_000
CHANNELS = 2
_VIDEO = re.compile(r"Stream #\S+.*?: Video: .*?, (\d{2,5})x(\d{2,5})[ ,].*?, ([\d.]+) fps")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: ")


class UnreadableClipError(ValueError):
    """The file is not a video this bot can continue."""


@dataclass(frozen=True)
class DecodedClip:
    frames: np.ndarray  # uint8, (frames, height, width, 3)
    fps: int
    audio: AudioTrack | None

    @property
    def seconds(self) -> float:
        return int(self.frames.shape[0]) / self.fps


def decode_clip(path: Path, max_frames: int = 2_000) -> DecodedClip:
    """Every frame of ``path`` as RGB, its frame rate, and its sound if it has any."""
    width, height, fps, has_audio = _probe(path)
    frame_bytes = width * height * 3
    raw = run_ffmpeg(
        [
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-frames:v",
            str(max_frames),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ]
    )
    count = len(raw) // frame_bytes
    if count == 0:
        raise UnreadableClipError("the clip holds no frames")
    frames = np.frombuffer(raw[: count * frame_bytes], dtype=np.uint8).reshape(count, height, width, 3)
    audio = None
    if has_audio:
        pcm = run_ffmpeg(
            [
                "-i",
                str(path),
                "-map",
                "0:a:0",
                "-f",
                "f32le",
                "-ac",
                str(CHANNELS),
                "-ar",
                str(SAMPLE_RATE),
                "-",
            ]
        )
        samples = np.frombuffer(pcm, dtype="<f4").reshape(-1, CHANNELS).T
        audio = AudioTrack(np.ascontiguousarray(samples, dtype=np.float32), SAMPLE_RATE)
    return DecodedClip(frames.copy(), fps, audio)


def _probe(path: Path) -> tuple[int, int, int, bool]:
    """Width, height, frame rate and whether there is sound, from ffmpeg's description of the file."""
    described = subprocess.run(
        [ffmpeg_executable(), "-hide_banner", "-i", str(path)], capture_output=True, check=False
    ).stderr.decode(errors="replace")
    video = _VIDEO.search(described)
    if video is None:
        raise UnreadableClipError("the file holds no video ffmpeg can read")
    width, height, fps = int(video[1]), int(video[2]), round(float(video[3]))
    if fps <= 0:
        raise UnreadableClipError("the clip has no frame rate")
    return width, height, fps, _AUDIO.search(described) is not None

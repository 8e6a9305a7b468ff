"""Find an ffmpeg executable: the one on PATH, else the one imageio-ffmpeg ships (pip-only installs)."""

from __future__ import annotations

import functools
import shutil


@functools.cache
def ffmpeg_executable() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - imageio-ffmpeg is a dependency
        raise RuntimeError("no ffmpeg on PATH and imageio-ffmpeg is not installed") from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())

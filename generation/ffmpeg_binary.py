"""Find an ffmpeg executable: the one on PATH, else the one imageio-ffmpeg ships (pip-only installs)."""

from __future__ import annotations

import functools
import shutil
import subprocess


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


def run_ffmpeg(args: list[str], stdin: bytes = b"") -> bytes:
    """Run ffmpeg with ``args`` (after the global options), feeding ``stdin``; return what it wrote out."""
    command = [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", *args]
    result = subprocess.run(command, input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {result.stderr.decode(errors='replace')[-2000:]}")
    return result.stdout

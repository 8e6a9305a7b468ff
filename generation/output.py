"""A rendered clip to the file members get: encoded to fit the upload limit, labelled, and signed.

Every clip says what it is twice over: in its container metadata (a comment that any player shows) and in
Content Credentials (a C2PA manifest, signed, marking it as made by a trained algorithm). Signing adds a few
kilobytes, so the encoder aims below the limit by ``SIGNATURE_RESERVE_BYTES``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from generation.audio import AudioTrack
from generation.encode import ClipTooLargeError, EncodedClip, encode_mp4
from generation.gif import encode_gif
from generation.provenance import SIGNATURE_RESERVE_BYTES, ClipFacts, SigningCredentials, sign_clip

MIME_TYPES = {"mp4": "video/mp4", "gif": "image/gif"}


@dataclass(frozen=True)
class ClipFile:
    frames: np.ndarray  # uint8, (frames, height, width, 3)
    fps: int
    facts: ClipFacts
    audio: AudioTrack | None = None
    format: str = "mp4"  # or "gif" (silent)

    def provenance_line(self) -> str:
        return (
            f"AI-generated video. Model: {self.facts.model}. Seed: {self.facts.seed}. "
            f"Prompt: {self.facts.prompt}"
        )


def write_clip(
    clip: ClipFile,
    out_path: str | os.PathLike[str],
    max_bytes: int,
    credentials: SigningCredentials | None,
) -> EncodedClip:
    """Encode ``clip`` to ``out_path`` in at most ``max_bytes``, signed with ``credentials`` when given."""
    if clip.format not in MIME_TYPES:
        raise ValueError(f"unknown clip format {clip.format!r}: use mp4 or gif")
    reserve = SIGNATURE_RESERVE_BYTES if credentials is not None else 0
    encoded = _encode(clip, Path(out_path), max_bytes - reserve)
    if credentials is None:
        return encoded
    size = sign_clip(encoded.path, MIME_TYPES[clip.format], clip.facts, credentials)
    if size > max_bytes:
        # A longer certificate chain than the reserve allows for: make room for what it really took.
        encoded = _encode(clip, encoded.path, max_bytes - (size - encoded.size_bytes) - reserve)
        size = sign_clip(encoded.path, MIME_TYPES[clip.format], clip.facts, credentials)
    if size > max_bytes:
        encoded.path.unlink(missing_ok=True)
        raise ClipTooLargeError(f"the signed clip is {size} bytes, over the {max_bytes}-byte limit")
    return replace(encoded, size_bytes=size, signed=True)


def _encode(clip: ClipFile, out: Path, budget: int) -> EncodedClip:
    if budget <= 0:
        raise ClipTooLargeError("the upload limit leaves no room for a clip and its credentials")
    line = clip.provenance_line()
    if clip.format == "gif":
        # GIFs carry one comment block and no sound: the whole provenance line goes in it.
        return encode_gif(clip.frames, clip.fps, out, budget, line)
    metadata = {"title": clip.facts.prompt, "comment": line}
    return encode_mp4(clip.frames, clip.fps, out, budget, metadata, audio=clip.audio)

"""The clip file members get: within the upload limit, labelled in its metadata, signed as AI-generated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generation.audio import AudioTrack
from generation.encode import ClipTooLargeError
from generation.output import ClipFile, write_clip
from generation.provenance import SIGNATURE_RESERVE_BYTES, ClipFacts, ensure_signing_chain, read_manifest
from tests.conftest import ffprobe

FACTS = ClipFacts(model="tiny", seed=7, prompt="a *cat* @everyone «spaghetti»", negative_prompt="blurry")


def _frames(n: int = 16, side: int = 64) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, size=(n, side, side, 3), dtype=np.uint8)


def test_an_mp4_is_signed_labelled_and_within_the_limit(tmp_path: Path) -> None:
    credentials = ensure_signing_chain(tmp_path / "keys")
    limit = 200_000
    clip = ClipFile(_frames(), 8, FACTS)
    encoded = write_clip(clip, tmp_path / "c.mp4", limit, credentials)
    assert encoded.signed and encoded.size_bytes == (tmp_path / "c.mp4").stat().st_size <= limit
    manifest = read_manifest(tmp_path / "c.mp4", "video/mp4")
    assert manifest.ai_generated and manifest.intact
    assert (manifest.model, manifest.seed, manifest.prompt) == ("tiny", 7, FACTS.prompt)
    tags = ffprobe(tmp_path / "c.mp4")["format"]["tags"]
    assert tags["comment"].startswith("AI-generated video. Model: tiny. Seed: 7.")


def test_a_gif_is_signed_and_silent(tmp_path: Path) -> None:
    credentials = ensure_signing_chain(tmp_path / "keys")
    sound = AudioTrack(np.zeros((2, 16_000), dtype=np.float32), 16_000)
    encoded = write_clip(ClipFile(_frames(), 8, FACTS, sound, "gif"), tmp_path / "c.gif", 10**6, credentials)
    assert encoded.signed and not encoded.has_audio
    assert read_manifest(tmp_path / "c.gif", "image/gif").ai_generated
    with Image.open(tmp_path / "c.gif") as gif:
        assert gif.info["comment"].decode().startswith("AI-generated video.")


def test_the_signature_fits_inside_the_limit_even_when_the_clip_fills_it(tmp_path: Path) -> None:
    """The encoder aims below the limit by the signature's reserve, so the signed file never goes over."""
    credentials = ensure_signing_chain(tmp_path / "keys")
    unsigned = write_clip(ClipFile(_frames(32, 96), 8, FACTS), tmp_path / "u.mp4", 10**9, None)
    limit = unsigned.size_bytes // 2 + SIGNATURE_RESERVE_BYTES
    signed = write_clip(ClipFile(_frames(32, 96), 8, FACTS), tmp_path / "s.mp4", limit, credentials)
    assert signed.size_bytes <= limit and signed.attempts > 1


def test_a_limit_smaller_than_the_signature_is_refused(tmp_path: Path) -> None:
    credentials = ensure_signing_chain(tmp_path / "keys")
    with pytest.raises(ClipTooLargeError):
        write_clip(ClipFile(_frames(), 8, FACTS), tmp_path / "c.mp4", SIGNATURE_RESERVE_BYTES, credentials)
    assert not (tmp_path / "c.mp4").exists()


def test_a_signature_larger_than_the_reserve_makes_room_rather_than_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An owner's long certificate chain can outgrow the reserve: the clip is encoded again, smaller."""
    import generation.output

    monkeypatch.setattr(generation.output, "SIGNATURE_RESERVE_BYTES", 200)
    credentials = ensure_signing_chain(tmp_path / "keys")
    unsigned = write_clip(ClipFile(_frames(32, 96), 8, FACTS), tmp_path / "u.mp4", 10**9, None)
    limit = unsigned.size_bytes // 2
    signed = write_clip(ClipFile(_frames(32, 96), 8, FACTS), tmp_path / "s.mp4", limit, credentials)
    assert signed.signed and signed.size_bytes == (tmp_path / "s.mp4").stat().st_size <= limit
    assert read_manifest(tmp_path / "s.mp4", "video/mp4").intact


def test_an_expired_signing_certificate_signs_nothing(tmp_path: Path) -> None:
    import dataclasses
    import datetime as dt

    from generation.provenance import ProvenanceError

    credentials = ensure_signing_chain(tmp_path / "keys")
    expired = dataclasses.replace(credentials, not_after=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    with pytest.raises(ProvenanceError, match="expired"):
        write_clip(ClipFile(_frames(), 8, FACTS), tmp_path / "c.mp4", 10**6, expired)

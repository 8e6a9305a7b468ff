"""Joining a story's shots into one clip, each cross-faded into the next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from generation.audio import AudioTrack
from generation.generator import RenderedClip

# How long one shot fades into the next.
CROSSFADE_SECONDS = 0.25


def crossfade_frames(fps: int, shot_frames: int) -> int:
    """Frames two neighbouring shots share: a quarter second, but never more than a quarter of a shot."""
    return max(1, min(round(CROSSFADE_SECONDS * fps), shot_frames // 4))


def join_shots(shots: Sequence[RenderedClip]) -> RenderedClip:
    """One clip from ``shots`` (same size and rate): each shot's last frames blend linearly into the
    next one's first, so the result has the shots' frames minus one overlap per cut. Their sound, if
    they all have some, is cross-faded over the same span."""
    if not shots:
        raise ValueError("a story needs at least one shot")
    first = shots[0]
    overlap = crossfade_frames(first.fps, min(shot.num_frames for shot in shots))
    frames = first.frames
    for shot in shots[1:]:
        if shot.frames.shape[1:] != first.frames.shape[1:] or shot.fps != first.fps:
            raise ValueError("the shots of a story must share their size and frame rate")
        frames = _crossfade(frames, shot.frames, overlap)
    tracks = [shot.audio for shot in shots if shot.audio is not None]
    audio = _join_audio(tracks, overlap / first.fps) if len(tracks) == len(shots) else None
    timings = {key: sum(shot.timings.get(key, 0.0) for shot in shots) for key in first.timings}
    return replace(first, frames=frames, audio=audio, timings=timings)


def _crossfade(before: np.ndarray, after: np.ndarray, overlap: int) -> np.ndarray:
    weights = (np.arange(1, overlap + 1, dtype=np.float32) / (overlap + 1))[:, None, None, None]
    tail, head = before[-overlap:].astype(np.float32), after[:overlap].astype(np.float32)
    blended = np.rint(tail * (1 - weights) + head * weights).astype(np.uint8)
    return np.concatenate([before[:-overlap], blended, after[overlap:]])


def _join_audio(tracks: Sequence[AudioTrack], seconds: float) -> AudioTrack | None:
    """The tracks end to end, each fading into the next over ``seconds``; None (silence) if their formats
    differ, which shots of one model never do."""
    rate = tracks[0].sample_rate
    samples = tracks[0].samples
    for track in tracks[1:]:
        if track.sample_rate != rate or track.channels != tracks[0].channels:
            return None
        overlap = min(round(seconds * rate), samples.shape[1], track.samples.shape[1])
        if overlap == 0:
            samples = np.concatenate([samples, track.samples], axis=1)
            continue
        fade = np.linspace(0.0, 1.0, overlap, dtype=np.float32)[None, :]
        blended = samples[:, -overlap:] * (1 - fade) + track.samples[:, :overlap] * fade
        samples = np.concatenate([samples[:, :-overlap], blended, track.samples[:, overlap:]], axis=1)
    return AudioTrack(np.ascontiguousarray(samples, dtype=np.float32), rate)

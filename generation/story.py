"""Joining clips: a story's shots, each cross-faded into the next; a clip and its continuation (Extend)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from PIL import Image

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
    if any(shot.frames.shape[1:] != first.frames.shape[1:] or shot.fps != first.fps for shot in shots):
        raise ValueError("the shots of a story must share their size and frame rate")
    # One array filled in place: a story of long shots is held once, not copied at every cut.
    total = sum(shot.num_frames for shot in shots) - overlap * (len(shots) - 1)
    frames = np.empty((total, *first.frames.shape[1:]), dtype=np.uint8)
    frames[: first.num_frames] = first.frames
    end = first.num_frames
    weights = (np.arange(1, overlap + 1, dtype=np.float32) / (overlap + 1))[:, None, None, None]
    for shot in shots[1:]:
        start = end - overlap
        tail = frames[start:end].astype(np.float32)
        frames[start:end] = np.rint(tail * (1 - weights) + shot.frames[:overlap] * weights).astype(np.uint8)
        frames[end : start + shot.num_frames] = shot.frames[overlap:]
        end = start + shot.num_frames
    tracks = [shot.audio for shot in shots if shot.audio is not None]
    audio = _join_audio(tracks, overlap / first.fps) if len(tracks) == len(shots) else None
    timings = {key: sum(shot.timings.get(key, 0.0) for shot in shots) for key in first.timings}
    return replace(first, frames=frames, audio=audio, timings=timings)


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


def continue_clip(
    frames: np.ndarray, fps: int, audio: AudioTrack | None, segment: RenderedClip, max_seconds: float
) -> RenderedClip:
    """A posted clip (``frames`` at ``fps``, with its ``audio``) followed by ``segment``, which was made
    from its last frame: that frame is not shown twice. The segment is brought to the clip's size and
    rate, and the whole cut at ``max_seconds``. The sound is the clip's, then the segment's (or silence)."""
    height, width = frames.shape[1:3]
    after = _resized(segment.frames, width, height)
    after = _retimed(after, segment.fps, fps)[1:]
    joined = np.concatenate([frames, after])[: max(int(max_seconds * fps), len(frames))]
    seconds = len(joined) / fps
    sound = None
    if audio is not None:
        tail = segment.audio
        if tail is None or tail.sample_rate != audio.sample_rate or tail.channels != audio.channels:
            sound = audio.fitted(seconds)  # the clip's sound, then silence
        else:
            clip_part = audio.fitted(len(frames) / fps).samples
            sound = AudioTrack(np.concatenate([clip_part, tail.samples], axis=1), audio.sample_rate).fitted(
                seconds
            )
    elif segment.audio is not None:
        silent = np.zeros(
            (segment.audio.channels, round(len(frames) / fps * segment.audio.sample_rate)), np.float32
        )
        whole = np.concatenate([silent, segment.audio.samples], axis=1)
        sound = AudioTrack(whole, segment.audio.sample_rate).fitted(seconds)
    return replace(segment, frames=joined, fps=fps, audio=sound, native_fps=fps)


def _resized(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    if frames.shape[1:3] == (height, width):
        return frames
    return np.stack(
        [np.asarray(Image.fromarray(f).resize((width, height), Image.Resampling.LANCZOS)) for f in frames]
    )


def _retimed(frames: np.ndarray, source_fps: int, fps: int) -> np.ndarray:
    """The same span at another rate, by taking the nearest frame at each new instant."""
    if source_fps == fps:
        return frames
    count = max(round(len(frames) * fps / source_fps), 1)
    picks = np.minimum(np.round(np.arange(count) * source_fps / fps).astype(int), len(frames) - 1)
    retimed: np.ndarray = frames[picks]
    return retimed

"""A clip's size, length and playback rate from what was asked for, by its model family's rules."""

from __future__ import annotations

from dataclasses import dataclass

from generation.gif import MAX_GIF_SECONDS
from generation.presets import ModelPreset


@dataclass(frozen=True)
class ClipShape:
    """What to ask the pipeline for; None keeps the preset's own value."""

    width: int | None = None
    height: int | None = None
    num_frames: int | None = None
    fps: int | None = None  # the rate to interpolate up to; None: the model's own


def shape_clip(
    preset: ModelPreset,
    aspect: str | None = None,
    seconds: float | None = None,
    gif: bool = False,
    fps: int | None = None,
    smooth_fps: int = 0,
) -> ClipShape:
    """Width and height for ``aspect``, frames for ``seconds`` (a GIF's capped to what a GIF holds), and
    the playback rate: ``fps`` (0: the model's own), else the owner's ``smooth_fps``, interpolated only
    when above the model's own rate. GIFs play at 15 fps at most, so they are never interpolated."""
    defaults, family = preset.defaults, preset.family
    width = height = num_frames = None
    if aspect:
        width, height = family.size_for(aspect, defaults.width, defaults.height)
    if seconds:
        num_frames = family.frames_for(seconds, defaults.fps)
    if gif:
        # GIFs are for short clips: cap the length, stepping down by the model's frame rule.
        num_frames = family.frames_within(num_frames or defaults.num_frames, defaults.fps, MAX_GIF_SECONDS)
    wanted = smooth_fps if fps is None else fps
    target = wanted if not gif and wanted > defaults.fps else None
    return ClipShape(width, height, num_frames, target)

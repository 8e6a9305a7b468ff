"""How a member asked for their clip to be shaped, as stored with the job. No Discord, no database.

Options cross the database as JSON. Only what differs from the defaults is written, so rows written by an
earlier version read back unchanged, and reading checks every value: a row that does not hold valid
options raises ``InvalidOptionsError`` instead of rendering something nobody asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Literal, TypeVar, cast, get_args

Aspect = Literal["16:9", "9:16", "1:1"]
ClipFormat = Literal["mp4", "gif"]
ASPECTS: tuple[Aspect, ...] = get_args(Aspect)
FORMATS: tuple[ClipFormat, ...] = get_args(ClipFormat)
# Playback rates a member may ask for: 0 is the model's own; the others are reached by interpolation.
FRAME_RATES = (0, 24, 30)
MIN_DURATION, MAX_DURATION = 1.0, 20.0  # seconds; each model then clamps to what it makes well
MIN_SHOTS, MAX_SHOTS = 2, 6  # a /story's prompts


class InvalidOptionsError(ValueError):
    """Stored options that this version cannot honour; the message names the offending key."""


@dataclass(frozen=True)
class JobOptions:
    aspect: Aspect | None = None  # None: the model's own shape
    duration: float | None = None  # seconds; None: the model's own length
    format: ClipFormat = "mp4"
    image: bool = False  # the clip starts from a stored first frame
    sound: bool | None = None  # None: the model's sound, if it makes any
    fps: int | None = None  # None: the owner's smooth_fps; 0: the model's own rate
    # A /story's number of shots, one clip each, joined; 0: one clip. The shots themselves are the prompt's
    # parts (``bot.video_request.story_shots``), so that erasing the prompt erases them too.
    shots: int = 0
    extends: int | None = None  # the job whose posted clip this one continues from its last frame

    @property
    def cost(self) -> int:
        """How many clips this job counts as against a member's limits: a story's shots each count."""
        return max(self.shots, 1)

    def __post_init__(self) -> None:
        _check(self)

    @property
    def gif(self) -> bool:
        return self.format == "gif"

    def to_json(self) -> dict[str, object]:
        """The options that differ from the defaults."""
        defaults = JobOptions()
        return {k: v for k, v in asdict(self).items() if v != getattr(defaults, k)}

    @classmethod
    def from_json(cls, data: object) -> JobOptions:
        """Options as stored; each value's type is checked here, its range by the constructor."""
        if data is not None and not isinstance(data, Mapping):
            raise InvalidOptionsError(f"job options must be an object, not {type(data).__name__}")
        values = dict(data or {})
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            raise InvalidOptionsError(f"unknown job options: {', '.join(unknown)}")
        duration = _typed(values, "duration", int, float)
        return cls(
            aspect=cast(Aspect | None, _typed(values, "aspect", str)),
            duration=float(duration) if duration is not None else None,
            format=cast(ClipFormat, _typed(values, "format", str) or "mp4"),
            image=bool(_typed(values, "image", bool)),
            sound=_typed(values, "sound", bool),
            fps=_typed(values, "fps", int),
            shots=_typed(values, "shots", int) or 0,
            extends=_typed(values, "extends", int),
        )


T = TypeVar("T")


def _typed(values: Mapping[str, object], key: str, *kinds: type[T]) -> T | None:
    value = values.get(key)
    if value is None:
        return None
    # bool is an int to Python: a stored true must not pass for a frame rate or a length.
    if isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool)):
        return value
    raise InvalidOptionsError(f"{key} must be {' or '.join(k.__name__ for k in kinds)}, not {value!r}")


def _check(options: JobOptions) -> None:
    if options.aspect is not None and options.aspect not in ASPECTS:
        raise InvalidOptionsError(f"aspect {options.aspect!r} is not one of {', '.join(ASPECTS)}")
    if options.format not in FORMATS:
        raise InvalidOptionsError(f"format {options.format!r} is not one of {', '.join(FORMATS)}")
    if options.duration is not None and not MIN_DURATION <= options.duration <= MAX_DURATION:
        raise InvalidOptionsError(
            f"duration {options.duration!r} is outside {MIN_DURATION:g}-{MAX_DURATION:g}"
        )
    if options.fps is not None and options.fps not in FRAME_RATES:
        raise InvalidOptionsError(f"fps {options.fps!r} is not one of {FRAME_RATES}")
    if options.shots and not MIN_SHOTS <= options.shots <= MAX_SHOTS:
        raise InvalidOptionsError(f"a story has {MIN_SHOTS} to {MAX_SHOTS} shots, not {options.shots}")
    if options.extends is not None and (options.extends < 1 or options.shots or options.gif):
        raise InvalidOptionsError("extends must name a job, and an extension is one mp4 shot")

"""The models an owner enabled, and which one a ``/video`` request gets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import LocalizedError
from bot.job_options import JobOptions
from bot.render_estimate import ClipSize
from generation.clip_shape import shape_clip
from generation.presets import SIDECAR_NAME, ModelPreset


class ModelChoiceError(LocalizedError):
    """A polite explanation of why that model cannot make this clip."""


class ModelCatalogError(ValueError):
    """The owner's list of models cannot be offered as it is; the message says what to change."""


@dataclass(frozen=True)
class ModelCatalog:
    presets: dict[str, ModelPreset]  # enabled models by name, in the owner's order
    default: str  # for text-to-video
    image_default: str | None  # for /video with an image; None: this bot does not animate images

    @classmethod
    def of(cls, presets: Sequence[ModelPreset], image_model: str | None) -> ModelCatalog:
        """``presets[0]`` is the default model; ``image_model`` names the one for images, if set."""
        by_name: dict[str, ModelPreset] = {}
        for preset in presets:
            if (same := by_name.get(preset.name)) is not None:
                raise ModelCatalogError(_same_name(same, preset))
            by_name[preset.name] = preset
        default = presets[0].name
        if image_model is None and presets[0].takes_image:
            image_model = default
        return cls(by_name, default, image_model)

    def suggestions(self, typed: str) -> list[tuple[str, str]]:
        """(label, name) pairs for autocomplete, at most Discord's 25."""
        typed = typed.casefold()
        found = []
        for name, preset in self.presets.items():
            label = f"{name}: {preset.description}" if preset.description else name
            if typed in label.casefold():
                found.append((label[:100], name))
        return found[:25]

    def choose(
        self,
        requested: str | None,
        with_image: bool,
        with_sound: bool = False,
        server_default: str | None = None,
    ) -> str:
        """The model for a request: the one asked for, else the server's default where it is enabled and
        fits (takes an image when one is given, needs none when none is), else the bot's defaults."""
        if requested is None and server_default is not None and self._fits(server_default, with_image):
            requested = server_default
        chosen = self._choose(requested, with_image)
        if with_sound and not self.presets[chosen].family.makes_audio:
            makers = [name for name, p in self.presets.items() if p.family.makes_audio]
            if makers:
                raise ModelChoiceError(
                    "{model} makes silent clips; leave `sound` out. Models here with sound: {models}.",
                    model=chosen,
                    models=", ".join(makers),
                )
            raise ModelChoiceError("{model} makes silent clips; leave `sound` out.", model=chosen)
        return chosen

    def _fits(self, name: str, with_image: bool) -> bool:
        preset = self.presets.get(name)
        if preset is None:
            return False
        return preset.takes_image if with_image else not preset.family.needs_image

    def _choose(self, requested: str | None, with_image: bool) -> str:
        if requested is None:
            if with_image:
                if self.image_default is None:
                    raise ModelChoiceError(
                        "This bot's models make clips from text only, so it cannot use an image. "
                        "Try without one."
                    )
                return self.image_default
            if self.presets[self.default].family.needs_image:
                raise ModelChoiceError("This bot's model makes clips from an image: attach one.")
            return self.default
        preset = self.presets.get(requested)
        if preset is None:
            raise ModelChoiceError("That model is not enabled here; pick one from the list.")
        if with_image and not preset.takes_image:
            raise ModelChoiceError(
                "{model} makes clips from text only; pick another model or drop the image.", model=requested
            )
        if not with_image and preset.family.needs_image:
            raise ModelChoiceError("{model} makes clips from an image: attach one.", model=requested)
        return requested


def clip_size(preset: ModelPreset, options: JobOptions) -> ClipSize:
    """The frames ``preset`` renders for a job with these options (all of a story's shots): what its
    render time depends on."""
    shape = shape_clip(preset, options.aspect, options.duration, options.gif)
    defaults = preset.defaults
    return ClipSize(
        shape.width or defaults.width,
        shape.height or defaults.height,
        (shape.num_frames or defaults.num_frames) * options.cost,
    )


def _same_name(first: ModelPreset, second: ModelPreset) -> str:
    """Members pick models by name, so two enabled models cannot share one."""
    if first.source == second.source:
        return f"the model {first.name!r} ({first.source}) is enabled twice: list it once"
    return (
        f"two enabled models are both called {first.name!r}: {first.source} and {second.source}. "
        f'Members pick models by name: give one a "name" in its {SIDECAR_NAME}, or rename its directory'
    )

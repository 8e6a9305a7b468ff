"""Named model presets, and resolution of any model reference to a preset.

A model reference is a preset name, a local diffusers directory, or a Hugging Face Hub id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generation.families import (
    ANIMATEDIFF,
    COGVIDEOX,
    FAMILIES,
    HUNYUAN,
    LTX,
    LTX_I2V,
    MODELSCOPE,
    SVD,
    WAN,
    WAN22,
    WAN_I2V,
    Family,
    RenderDefaults,
    family_for_pipeline_class,
)

# A local model directory may carry its own defaults in this file (``python -m generation make-tiny``
# writes one); keys are those of RenderDefaults plus "family".
SIDECAR_NAME = "videobot.json"


@dataclass(frozen=True)
class ExtraComponent:
    """A pipeline component loaded from its own source, e.g. AnimateDiff's motion adapter."""

    name: str  # the pipeline's argument, e.g. "motion_adapter"
    class_name: str  # a diffusers class, e.g. "MotionAdapter"
    source: str


@dataclass(frozen=True)
class ModelPreset:
    name: str
    source: str  # Hub id or local directory handed to from_pretrained
    family: Family
    defaults: RenderDefaults
    description: str = ""
    # Where the source's own model_index.json names another pipeline (an SD 1.5 base for AnimateDiff).
    pipeline_class: str | None = None
    components: tuple[ExtraComponent, ...] = ()
    # Replace the source's scheduler: (diffusers class, config overrides).
    scheduler: tuple[str, tuple[tuple[str, object], ...]] | None = None


@dataclass(frozen=True)
class RenderOverrides:
    """Owner settings that replace a preset's defaults; None keeps the preset's value."""

    width: int | None = None
    height: int | None = None
    num_frames: int | None = None
    fps: int | None = None
    steps: int | None = None
    guidance: float | None = None

    def apply(self, defaults: RenderDefaults) -> RenderDefaults:
        changes = {k: v for k, v in vars(self).items() if v is not None}
        return replace(defaults, **changes)


PRESETS: dict[str, ModelPreset] = {
    p.name: p
    for p in (
        ModelPreset(
            name="ltx-video-distilled",
            source="Lightricks/LTX-Video-0.9.7-distilled",
            family=LTX,
            pipeline_class="LTXConditionPipeline",
            # Distilled checkpoints run a handful of steps without classifier-free guidance, so the
            # negative prompt has no effect.
            defaults=RenderDefaults(
                width=768, height=512, num_frames=97, fps=24, steps=8, guidance=1.0, supports_negative=False
            ),
            description="LTX-Video 0.9.7 distilled: the fastest, 4 s at 768x512; also animates an image",
        ),
        ModelPreset(
            name="wan2.1-t2v-1.3b",
            source="Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
            family=WAN,
            defaults=WAN.defaults,
            description="Wan 2.1 text-to-video 1.3B: 5 s at 832x480, fits 8 GB cards with offload",
        ),
        ModelPreset(
            name="wan2.2-ti2v-5b",
            source="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
            family=WAN22,
            defaults=WAN22.defaults,
            description="Wan 2.2 TI2V 5B: 5 s at 1280x704, 24 fps, fits a 24 GB card",
        ),
        ModelPreset(
            name="cogvideox-2b",
            source="THUDM/CogVideoX-2b",
            family=COGVIDEOX,
            defaults=COGVIDEOX.defaults,
            description="CogVideoX 2B: 6 s at 720x480",
        ),
        ModelPreset(
            name="cogvideox-5b",
            source="THUDM/CogVideoX-5b",
            family=COGVIDEOX,
            defaults=COGVIDEOX.defaults,
            description="CogVideoX 5B: 6 s at 720x480, better motion, about twice the time of 2B",
        ),
        ModelPreset(
            name="hunyuanvideo",
            source="hunyuanvideo-community/HunyuanVideo",
            family=HUNYUAN,
            defaults=HUNYUAN.defaults,
            description="HunyuanVideo 13B: the most detailed here, 2.5 s at 848x480; offloads below 80 GB",
        ),
        ModelPreset(
            name="modelscope-1.7b",
            source="ali-vilab/text-to-video-ms-1.7b",
            family=MODELSCOPE,
            defaults=MODELSCOPE.defaults,
            description="ModelScope text-to-video 1.7B: 2 s at 256x256, small and quick, dated look",
        ),
        ModelPreset(
            name="animatediff-sd15",
            source="stable-diffusion-v1-5/stable-diffusion-v1-5",
            family=ANIMATEDIFF,
            defaults=ANIMATEDIFF.defaults,
            description="AnimateDiff: Stable Diffusion 1.5 with a motion adapter, 2 s at 512x512",
            pipeline_class="AnimateDiffPipeline",
            components=(
                ExtraComponent("motion_adapter", "MotionAdapter", "guoyww/animatediff-motion-adapter-v1-5-2"),
            ),
            # The scheduler AnimateDiff's authors recommend for SD 1.5 bases.
            scheduler=(
                "DDIMScheduler",
                (
                    ("beta_schedule", "linear"),
                    ("clip_sample", False),
                    ("timestep_spacing", "linspace"),
                    ("steps_offset", 1),
                ),
            ),
        ),
        ModelPreset(
            name="ltx-video-i2v",
            source="Lightricks/LTX-Video",
            family=LTX_I2V,
            defaults=LTX_I2V.defaults,
            description="LTX-Video image-to-video: animates an attached image, 5 s at 704x480",
            pipeline_class="LTXImageToVideoPipeline",
        ),
        ModelPreset(
            name="wan2.1-i2v-14b-480p",
            source="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
            family=WAN_I2V,
            defaults=WAN_I2V.defaults,
            description="Wan 2.1 image-to-video 14B: animates an attached image, 5 s at 832x480 (24 GB+)",
        ),
        ModelPreset(
            name="svd-xt",
            source="stabilityai/stable-video-diffusion-img2vid-xt",
            family=SVD,
            defaults=SVD.defaults,
            description="Stable Video Diffusion img2vid-xt: animates an attached image, no prompt, 25 frames",
        ),
    )
}

DEFAULT_PRESET = "ltx-video-distilled"

# Pipelines whose call takes a first frame (optional for LTXConditionPipeline, required for the others).
IMAGE_PIPELINES = frozenset(
    {
        "LTXConditionPipeline",
        "LTXImageToVideoPipeline",
        "StableVideoDiffusionPipeline",
        "WanImageToVideoPipeline",
    }
)


def takes_image(preset: ModelPreset) -> bool:
    """Whether the model can start a clip from an attached image."""
    return preset.family.needs_image or preset.pipeline_class in IMAGE_PIPELINES


class ModelResolutionError(ValueError):
    """The model reference cannot be used; the message says why and what to do."""


def resolve_model(reference: str, overrides: RenderOverrides | None = None) -> ModelPreset:
    """Resolve a preset name, a local diffusers directory or a Hub id into a preset.

    Hub ids that are not presets are resolved from their pipeline class once loaded (see
    ``resolve_loaded``); here they need explicit family-independent checks only.
    """
    overrides = overrides or RenderOverrides()
    if reference in PRESETS:
        preset = PRESETS[reference]
        return replace(preset, defaults=overrides.apply(preset.defaults))
    path = Path(reference).expanduser()
    if path.is_dir():
        return _resolve_directory(path, overrides)
    if path.exists() or reference.startswith((".", "/", "~")):
        raise ModelResolutionError(
            f"model {reference!r} is neither a preset ({', '.join(PRESETS)}) nor a diffusers directory"
        )
    if reference.count("/") != 1:
        raise ModelResolutionError(
            f"model {reference!r} is not a preset ({', '.join(PRESETS)}), a local diffusers directory "
            "or a Hugging Face Hub id of the form owner/name"
        )
    # A Hub id: the family is known once its model_index.json is read at load time.
    return ModelPreset(name=reference, source=reference, family=_UNKNOWN, defaults=_UNKNOWN.defaults)


def resolve_loaded(preset: ModelPreset, pipeline_class: str, overrides: RenderOverrides) -> ModelPreset:
    """Fill in the family of a preset whose family was unknown until its pipeline was loaded."""
    if preset.family is not _UNKNOWN:
        return preset
    family = family_for_pipeline_class(pipeline_class)
    if family is None:
        raise ModelResolutionError(
            f"model {preset.source!r} loads as {pipeline_class}, which this bot does not know how to drive "
            f"(known: {', '.join(c for f in FAMILIES.values() for c in f.pipeline_classes)})"
        )
    return replace(preset, family=family, defaults=overrides.apply(family.defaults))


def _resolve_directory(path: Path, overrides: RenderOverrides) -> ModelPreset:
    index = path / "model_index.json"
    if not index.is_file():
        raise ModelResolutionError(
            f"{path} has no model_index.json: it is not a diffusers pipeline directory"
        )
    try:
        class_name = json.loads(index.read_text())["_class_name"]
    except (ValueError, KeyError) as exc:
        raise ModelResolutionError(f"{index} is not a valid diffusers model index: {exc}") from exc
    sidecar = path / SIDECAR_NAME
    data: dict[str, Any] = {}
    if sidecar.is_file():
        try:
            data = json.loads(sidecar.read_text())
        except ValueError as exc:
            raise ModelResolutionError(f"{sidecar} is not valid JSON: {exc}") from exc
    # The directory's own word on its family wins: some families share a pipeline class.
    named = data.pop("family", None)
    family = FAMILIES.get(str(named)) if named is not None else family_for_pipeline_class(class_name)
    if family is None:
        raise ModelResolutionError(f"{path} holds a {class_name}, which this bot does not know how to drive")
    try:
        defaults = replace(family.defaults, **data)
    except TypeError as exc:
        raise ModelResolutionError(f"{sidecar} is not valid: {exc}") from exc
    return ModelPreset(
        name=str(path),
        source=str(path),
        family=family,
        defaults=overrides.apply(defaults),
        pipeline_class=class_name,
    )


_UNKNOWN = Family(
    name="unknown",
    pipeline_classes=(),
    frame_step=1,
    size_multiple=16,
    defaults=RenderDefaults(width=0, height=0, num_frames=0, fps=0, steps=0, guidance=0.0),
)

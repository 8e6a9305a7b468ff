"""Every preset's checkpoint, built from its published configs on the meta device (no memory), has the
published size: each component within 1% of the figure its source gives."""

from __future__ import annotations

import dataclasses

import pytest

from generation.architecture import Architecture, ComponentSpec
from generation.assemble import build_component, lora_parameter_count, parameter_count
from generation.presets import PRESETS

TOLERANCE = 0.01
# Components of checkpoints whose diffusers repos show no file sizes and no model card gives a count: their
# size is what their published config builds to (LTX-2's audio VAE and text connectors).
UNPUBLISHED = {("ltx-2-distilled", "audio_vae"), ("ltx-2-distilled", "connectors")}

COMPONENTS = [
    pytest.param(name, spec, id=f"{name}/{spec.name}")
    for name, preset in PRESETS.items()
    for spec in (preset.architecture.models if preset.architecture else ())
]


def test_every_preset_has_its_published_architecture() -> None:
    missing = [name for name, preset in PRESETS.items() if preset.architecture is None]
    assert not missing
    for preset in PRESETS.values():
        assert preset.architecture is not None
        for spec in preset.architecture.models:
            assert spec.source.startswith("https://"), f"{preset.name}/{spec.name} names no source"


def test_only_the_documented_components_lack_a_published_size() -> None:
    flagged = {
        (name, spec.name)
        for name, preset in PRESETS.items()
        for spec in preset.architecture.models
        if spec.unpublished
    }  # type: ignore[union-attr]
    assert flagged == UNPUBLISHED


@pytest.mark.parametrize(("preset", "spec"), [c for c in COMPONENTS if not c.values[1].unpublished])  # type: ignore[union-attr]
def test_each_component_has_the_published_size(preset: str, spec: ComponentSpec) -> None:
    built = parameter_count(build_component(spec, "meta"))
    assert spec.params is not None
    assert abs(built - spec.params) <= TOLERANCE * spec.params, f"built {built:,}, published {spec.params:,}"


@pytest.mark.parametrize(
    "name", [n for n, p in PRESETS.items() if p.architecture is not None and p.architecture.loras]
)
def test_distillation_loras_have_the_published_size(name: str) -> None:
    arch: Architecture = PRESETS[name].architecture  # type: ignore[assignment]
    for lora in arch.loras:
        for denoiser in lora.into:
            built = lora_parameter_count(lora, build_component(arch.component(denoiser), "meta"))
            assert lora.params is not None
            assert abs(built - lora.params) <= TOLERANCE * lora.params, f"{lora.weight_name}: {built:,}"


def _changed(config: dict[str, object]) -> dict[str, object]:
    """The config with one more repeated block, as a wrong transcription of it would have."""
    for key in ("num_layers", "num_visual_blocks", "layers_per_block", "num_hidden_layers"):
        if isinstance(config.get(key), int):
            return {**config, key: int(config[key]) + 1}  # type: ignore[call-overload]
    raise AssertionError(f"no layer count in {sorted(config)}")


@pytest.mark.parametrize(
    "name", sorted({p.architecture.pipeline_class: n for n, p in PRESETS.items() if p.architecture}.values())
)
def test_a_changed_config_value_fails_the_size_check(name: str) -> None:
    """The check above is not vacuous: one layer more in the denoiser's config moves it past 1%."""
    arch: Architecture = PRESETS[name].architecture  # type: ignore[assignment]
    spec = arch.component(arch.denoisers[0])
    changed = dataclasses.replace(spec, config=_changed(dict(spec.config)))
    built = parameter_count(build_component(changed, "meta"))
    assert spec.params is not None
    assert abs(built - spec.params) > TOLERANCE * spec.params


# Components stored in more than one precision: Kandinsky's transformer keeps its modulation layers in fp32.
MIXED_PRECISION = {("kandinsky-5-lite", "transformer")}


@pytest.mark.parametrize(("preset", "spec"), COMPONENTS)
def test_each_download_size_is_its_parameters_in_one_precision(preset: str, spec: ComponentSpec) -> None:
    """Files hold 2 bytes a parameter (bf16, fp16) or 4 (fp32): a size off those is a misread figure."""
    assert spec.params is not None and spec.download_bytes > 0
    per_param = spec.download_bytes / spec.params
    if (preset, spec.name) in MIXED_PRECISION:
        assert 2 < per_param < 4
    else:
        assert min(abs(per_param - 2), abs(per_param - 4)) < 0.03, f"{per_param:.3f} bytes a parameter"

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generation.families import FAMILIES, Family
from generation.presets import PRESETS, SIDECAR_NAME, ModelResolutionError, RenderOverrides, resolve_model


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_resolve_with_valid_defaults(name: str) -> None:
    preset = resolve_model(name)
    d, f = preset.defaults, preset.family
    assert f.fit_frames(d.num_frames) == d.num_frames
    assert d.width % f.size_multiple == 0 and d.height % f.size_multiple == 0
    assert preset.source.count("/") == 1


def test_default_preset_is_ltx_distilled() -> None:
    preset = resolve_model("ltx-video-distilled")
    assert preset.family.name == "ltx"
    assert preset.defaults.steps <= 10 and preset.defaults.guidance == 1.0


def test_overrides_replace_only_what_they_name() -> None:
    preset = resolve_model("wan2.1-t2v-1.3b", RenderOverrides(steps=4, fps=8))
    assert preset.defaults.steps == 4 and preset.defaults.fps == 8
    assert preset.defaults.width == PRESETS["wan2.1-t2v-1.3b"].defaults.width


@given(st.sampled_from(list(FAMILIES.values())), st.integers(min_value=-10, max_value=2000))
def test_frame_rule_always_gives_a_valid_count(family: Family, frames: int) -> None:
    fitted = family.fit_frames(frames)
    assert (fitted - 1) % family.frame_step == 0 and fitted > family.frame_step
    if frames > family.frame_step:
        assert abs(fitted - frames) <= family.frame_step // 2


def test_local_directory_resolves_by_pipeline_class_and_sidecar(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline"}))
    assert resolve_model(str(tmp_path)).defaults == FAMILIES["wan"].defaults
    (tmp_path / SIDECAR_NAME).write_text(json.dumps({"family": "wan", "width": 64, "fps": 8}))
    preset = resolve_model(str(tmp_path))
    assert (preset.family.name, preset.defaults.width, preset.defaults.fps) == ("wan", 64, 8)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "no model_index.json"),
        (lambda p: (p / "model_index.json").write_text("{") and p, "not a valid diffusers model index"),
        (
            lambda p: (p / "model_index.json").write_text('{"_class_name": "FluxPipeline"}') and p,
            "does not know how to drive",
        ),
    ],
)
def test_unusable_directories_are_explained(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(ModelResolutionError, match=message):
        resolve_model(str(path))


@pytest.mark.parametrize("reference", ["no-such-preset", "/no/such/dir", "a/b/c"])
def test_unknown_references_are_explained(reference: str) -> None:
    with pytest.raises(ModelResolutionError, match="preset"):
        resolve_model(reference)


def test_hub_ids_resolve_lazily() -> None:
    assert resolve_model("someone/some-video-model").source == "someone/some-video-model"


@given(
    st.sampled_from(list(FAMILIES.values())),
    st.floats(min_value=0.1, max_value=60),
    st.sampled_from([8, 16, 24, 25]),
)
def test_durations_become_valid_frame_counts_within_the_models_range(
    family: Family, seconds: float, fps: int
) -> None:
    frames = family.frames_for(seconds, fps)
    assert family.fit_frames(frames) == frames
    assert frames <= family.max_frames
    assert frames > family.frame_step


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
@pytest.mark.parametrize("name", list(PRESETS))
def test_aspect_ratios_keep_about_the_same_area(name: str, aspect: str) -> None:
    preset = PRESETS[name]
    d, f = preset.defaults, preset.family
    width, height = f.size_for(aspect, d.width, d.height)
    across, down = (int(x) for x in aspect.split(":"))
    assert width % f.size_multiple == 0 and height % f.size_multiple == 0
    assert abs(width / height - across / down) < 0.15
    assert 0.8 < (width * height) / (d.width * d.height) < 1.2


def test_a_directory_names_its_family_when_families_share_a_pipeline(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline"}))
    assert resolve_model(str(tmp_path)).family.name == "wan"
    (tmp_path / SIDECAR_NAME).write_text(json.dumps({"family": "wan2.2"}))
    preset = resolve_model(str(tmp_path))
    assert preset.family.name == "wan2.2" and preset.family.size_multiple == 32

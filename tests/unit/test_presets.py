import dataclasses
import inspect
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generation.families import FAMILIES, IMAGE_PIPELINES, Family
from generation.presets import (
    DEFAULT_PRESET,
    PRESETS,
    SIDECAR_NAME,
    ModelResolutionError,
    RenderOverrides,
    resolve_loaded,
    resolve_model,
)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_resolve_with_valid_defaults(name: str) -> None:
    preset = resolve_model(name)
    d, f = preset.defaults, preset.family
    assert f.fit_frames(d.num_frames) == d.num_frames
    assert d.width % f.size_multiple == 0 and d.height % f.size_multiple == 0
    assert preset.source.count("/") == 1


def test_default_preset_is_kandinsky_lite_distilled() -> None:
    preset = resolve_model(DEFAULT_PRESET)
    assert preset.name == "kandinsky-5-lite" and preset.family.name == "kandinsky5"
    assert preset.defaults.steps == 16 and preset.defaults.guidance == 1.0
    # About 5 s at 480p or more.
    assert min(preset.defaults.width, preset.defaults.height) >= 480
    assert 4.5 <= preset.defaults.num_frames / preset.defaults.fps <= 5.5


def test_the_old_name_of_the_ltx_preset_still_resolves() -> None:
    preset = resolve_model("ltx-video-distilled")
    assert preset.name == "ltx-video-13b-distilled" and preset.family.name == "ltx"
    timesteps = dict(preset.call_kwargs)["timesteps"]
    assert isinstance(timesteps, list) and timesteps[-1] == 0.03


def test_superseded_presets_are_marked_legacy_and_the_memes_are_kept() -> None:
    legacy = {name for name, preset in PRESETS.items() if preset.legacy}
    assert {"modelscope-1.7b", "svd-xt", "animatediff-sd15", "cogvideox-2b", "hunyuanvideo"} <= legacy
    assert not PRESETS[DEFAULT_PRESET].legacy


def test_presets_command_lists_size_download_memory_and_legacy() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "generation", "presets"], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[0].split() == [
        "preset",
        "params",
        "download",
        "VRAM",
        "full",
        "smallest",
        "card",
        "legacy",
        "clip",
    ]
    for name, preset in PRESETS.items():
        (line,) = [row for row in out.splitlines() if row.split()[0] == name]
        assert f"{preset.architecture.params / 1e9:.1f}B" in line  # type: ignore[union-attr]
        assert f"{preset.architecture.download_bytes / 1e9:.1f} GB" in line  # type: ignore[union-attr]
        assert ("legacy" in line.split()) == preset.legacy


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


def test_the_readme_model_table_matches_the_presets() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = {
        line.split("|")[1].strip().split("`")[1]: line
        for line in readme.splitlines()
        if line.startswith("| `") and line.count("|") == 7
    }
    assert set(rows) == set(PRESETS)
    for name, preset in PRESETS.items():
        cells = [c.strip() for c in rows[name].split("|")]
        assert preset.source.split("/")[1] in cells[2], name
        assert cells[4] == f"{preset.architecture.download_bytes / 1e9:.1f} GB", name  # type: ignore[union-attr]
        assert ("legacy" in cells[1]) == preset.legacy, name


def _diffusers_directory(path: Path, sidecar: dict[str, object] | None = None) -> Path:
    path.mkdir(parents=True)
    (path / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline"}))
    if sidecar is not None:
        (path / SIDECAR_NAME).write_text(json.dumps(sidecar))
    return path


def test_a_local_model_goes_by_its_directorys_name_not_its_path(tmp_path: Path) -> None:
    directory = _diffusers_directory(tmp_path / "owner" / "models" / "my-wan")
    preset = resolve_model(str(directory) + "/")
    assert preset.name == "my-wan" and preset.source == str(directory)
    assert str(tmp_path) not in preset.name


def test_a_local_model_may_name_itself_in_its_sidecar(tmp_path: Path) -> None:
    directory = _diffusers_directory(tmp_path / "checkpoint-3000", {"name": " cats-v2 ", "steps": 6})
    preset = resolve_model(str(directory))
    assert preset.name == "cats-v2" and preset.source == str(directory) and preset.defaults.steps == 6


@pytest.mark.parametrize("name", ["", "  ", "/home/owner/models/wan", "models\\wan", 7, "x" * 101])
def test_a_sidecar_name_that_is_empty_a_path_or_too_long_is_refused(tmp_path: Path, name: object) -> None:
    directory = _diffusers_directory(tmp_path / "wan", {"name": name})
    with pytest.raises(ModelResolutionError, match='"name"'):
        resolve_model(str(directory))


def _call_takes_image(pipeline_class: str) -> bool:
    import diffusers

    return "image" in inspect.signature(getattr(diffusers, pipeline_class).__call__).parameters


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_presets_image_support_is_what_its_pipelines_call_takes(name: str) -> None:
    preset = resolve_model(name)
    assert preset.loads_as is not None
    assert preset.takes_image == _call_takes_image(preset.loads_as)
    assert preset.takes_image or not preset.family.needs_image


def test_the_image_pipelines_are_exactly_the_known_classes_whose_call_takes_an_image() -> None:
    known = {c for f in FAMILIES.values() for c in f.pipeline_classes}
    assert known >= IMAGE_PIPELINES
    assert {c for c in known if _call_takes_image(c)} == IMAGE_PIPELINES


@pytest.mark.parametrize(
    ("class_name", "takes_image"),
    [
        ("WanPipeline", False),
        ("LTXPipeline", False),
        ("LTXConditionPipeline", True),
        ("WanImageToVideoPipeline", True),
    ],
)
def test_a_directorys_image_support_comes_from_its_pipeline_class(
    tmp_path: Path, class_name: str, takes_image: bool
) -> None:
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": class_name}))
    assert resolve_model(str(tmp_path)).takes_image is takes_image


def test_a_hub_ids_image_support_is_decided_when_its_pipeline_class_is_known() -> None:
    unresolved = resolve_model("someone/some-video-model")
    assert not unresolved.takes_image
    ltx = resolve_loaded(unresolved, "LTXConditionPipeline", RenderOverrides())
    assert (ltx.family.name, ltx.pipeline_class, ltx.takes_image) == ("ltx", "LTXConditionPipeline", True)
    assert not resolve_loaded(unresolved, "LTXPipeline", RenderOverrides()).takes_image


def test_image_support_follows_a_replaced_family_or_pipeline_class() -> None:
    wan = PRESETS["wan2.1-t2v-1.3b"]
    assert not wan.takes_image
    assert dataclasses.replace(wan, family=FAMILIES["wan-i2v"]).takes_image
    ltx = PRESETS["ltx-video-13b-distilled"]
    assert ltx.takes_image and not dataclasses.replace(ltx, pipeline_class="LTXPipeline").takes_image

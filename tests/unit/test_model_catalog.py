from dataclasses import replace

import pytest

from bot.model_catalog import ModelCatalog, ModelCatalogError, ModelChoiceError
from generation.presets import PRESETS

LTX, WAN, SVD = (PRESETS[n] for n in ("ltx-video-13b-distilled", "wan2.1-t2v-1.3b", "svd-xt"))


def test_defaults_follow_the_first_model_and_its_image_support() -> None:
    catalog = ModelCatalog.of([LTX, WAN, SVD], image_model=None)
    assert catalog.choose(None, with_image=False) == LTX.name
    assert catalog.choose(None, with_image=True) == LTX.name  # LTX distilled animates images too
    assert ModelCatalog.of([WAN, SVD], image_model=SVD.name).choose(None, with_image=True) == SVD.name


@pytest.mark.parametrize(
    ("requested", "with_image", "message"),
    [
        ("wan2.1-t2v-1.3b", True, "text only"),
        ("svd-xt", False, "attach one"),
        ("cogvideox-5b", False, "not enabled"),
    ],
)
def test_a_model_that_cannot_make_this_clip_is_explained(
    requested: str, with_image: bool, message: str
) -> None:
    with pytest.raises(ModelChoiceError, match=message):
        ModelCatalog.of([LTX, WAN, SVD], image_model=None).choose(requested, with_image)


def test_a_text_only_bot_refuses_images() -> None:
    with pytest.raises(ModelChoiceError, match="text only"):
        ModelCatalog.of([WAN], image_model=None).choose(None, with_image=True)


def test_suggestions_match_what_was_typed_and_stay_within_discords_limits() -> None:
    catalog = ModelCatalog.of(list(PRESETS.values()), image_model=None)
    assert [name for _, name in catalog.suggestions("wan2.1")] == ["wan2.1-t2v-1.3b", "wan2.1-i2v-14b-480p"]
    assert [name for _, name in catalog.suggestions("STABLE VIDEO")] == ["svd-xt"]
    everything = catalog.suggestions("")
    assert len(everything) == len(PRESETS) <= 25
    assert all(len(label) <= 100 for label, _ in everything)


def test_two_enabled_models_with_one_name_are_refused_naming_both() -> None:
    first = replace(WAN, name="wan", source="/srv/models/a/wan")
    second = replace(WAN, name="wan", source="/srv/models/b/wan")
    with pytest.raises(ModelCatalogError, match="both called 'wan'") as refused:
        ModelCatalog.of([first, LTX, second], image_model=None)
    assert "/srv/models/a/wan" in str(refused.value) and "/srv/models/b/wan" in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_one_model_enabled_twice_is_refused() -> None:
    with pytest.raises(ModelCatalogError, match="enabled twice"):
        ModelCatalog.of([LTX, WAN, LTX], image_model=None)


def test_a_servers_default_model_is_used_where_it_is_enabled_and_fits() -> None:
    catalog = ModelCatalog.of([LTX, WAN, SVD], image_model=SVD.name)
    assert catalog.choose(None, with_image=False, server_default=WAN.name) == WAN.name
    # An image goes to a model that takes one: the server's text-only default gives way.
    assert catalog.choose(None, with_image=True, server_default=WAN.name) == SVD.name
    assert catalog.choose(None, with_image=True, server_default=LTX.name) == LTX.name
    # A model needing an image is no default for a prompt alone, nor is one the owner no longer enables.
    assert catalog.choose(None, with_image=False, server_default=SVD.name) == LTX.name
    assert catalog.choose(None, with_image=False, server_default="cogvideox-5b") == LTX.name
    # A member's own pick wins over the server's default.
    assert catalog.choose(LTX.name, with_image=False, server_default=WAN.name) == LTX.name

"""``/videomod limits`` against the owner's caps: the real stores on SQLite, Discord's reply recorded."""

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from bot.discord_app.moderation_commands import ModerationGroup
from bot.limits import NO_CAPS, LimitLayer, LimitPolicy, Limits
from bot.model_catalog import ModelCatalog
from bot.store.engine import create_engine
from bot.store.jobs import JobStore
from bot.store.limit_overrides import LimitOverrideStore
from bot.store.migrate import upgrade_to_head
from bot.store.moderation import ModerationStore
from bot.store.server_settings import ServerSettingsStore
from generation.presets import PRESETS

DEFAULTS = Limits(max_pending=2, per_hour=0, per_day=50, guild_per_day=0)
CAPS = Limits(max_pending=5, per_hour=20, per_day=0, guild_per_day=0)


class _Response:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []

    async def send_message(self, text: str, ephemeral: bool = False) -> None:
        self.sent.append((text, ephemeral))


@pytest.fixture
async def stores(sqlite_url: str) -> AsyncIterator[tuple[JobStore, LimitOverrideStore, ModerationStore]]:
    engine = create_engine(sqlite_url)
    await upgrade_to_head(engine)
    try:
        yield JobStore(engine), LimitOverrideStore(engine), ModerationStore(engine)
    finally:
        await engine.dispose()


Stores = tuple[JobStore, LimitOverrideStore, ModerationStore]


def _commands(stores: Stores, caps: Limits | None) -> ModerationGroup:
    jobs, overrides, moderation = stores
    settings = ServerSettingsStore(moderation.engine)
    catalog = ModelCatalog.of([PRESETS["wan2.1-t2v-1.3b"]], image_model=None)
    return ModerationGroup(
        jobs, overrides, moderation, settings, catalog, LimitPolicy(DEFAULTS, caps or NO_CAPS)
    )


def _interaction(locale: str = "en-US") -> Any:
    return SimpleNamespace(response=_Response(), user=SimpleNamespace(id=1), locale=locale)


async def _set(
    stores: Stores, caps: Limits | None, layer: LimitLayer, locale: str = "en-US"
) -> tuple[str, bool, list[LimitLayer]]:
    interaction = _interaction(locale)
    await _commands(stores, caps).set_limits(interaction, 10, None, None, layer)
    ((text, private),) = interaction.response.sent
    return text, private, [layer for _, _, layer in await stores[1].limit_overrides(10)]


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        (LimitLayer(per_hour=50), "`per_hour:50` is above the bot owner's cap of 20: choose from 1 to 20."),
        (
            LimitLayer(max_pending=0),
            "`max_pending:0` means no limit, which the bot owner's cap of 5 does not allow: "
            "choose from 1 to 5.",
        ),
    ],
)
async def test_a_value_above_the_owners_cap_is_refused_privately(
    stores: Stores, layer: LimitLayer, expected: str
) -> None:
    text, private, stored = await _set(stores, CAPS, layer)
    assert text == expected and private and stored == []


async def test_every_value_above_a_cap_is_named(stores: Stores) -> None:
    text, _, stored = await _set(stores, CAPS, LimitLayer(max_pending=6, per_hour=21, per_day=0))
    assert text.count("\n") == 1 and "`max_pending:6`" in text and "`per_hour:21`" in text and stored == []


async def test_a_french_moderator_is_answered_in_french_with_the_options_french_names(stores: Stores) -> None:
    text, _, stored = await _set(stores, CAPS, LimitLayer(max_pending=0), locale="fr")
    assert text == (
        "`max_en_attente:0` signifie sans limite, ce que le plafond de 5 fixé par le propriétaire du bot "
        "ne permet pas : choisissez de 1 à 5."
    )
    assert stored == []
    text, _, stored = await _set(stores, CAPS, LimitLayer(per_day=3), locale="fr")
    assert text == (
        "Limites pour le réglage par défaut du serveur : en attente à la fois : hérité, par heure : hérité, "
        "par jour : 3, serveur par jour : hérité."
    )


@pytest.mark.parametrize(
    ("caps", "layer"),
    [
        (CAPS, LimitLayer(max_pending=5, per_hour=1, per_day=0)),  # per_day has no cap: 0 is fine
        (None, LimitLayer(max_pending=0, per_hour=10_000)),
    ],
)
async def test_values_within_the_caps_are_set(stores: Stores, caps: Limits | None, layer: LimitLayer) -> None:
    text, _, stored = await _set(stores, caps, layer)
    assert stored == [layer] and text.startswith("Limits for the server default")


async def test_show_names_the_caps_and_limits_a_member_by_them(stores: Stores) -> None:
    commands = _commands(stores, CAPS)
    server = _interaction()
    await commands.show_limits(server, 10, None, None)
    ((text, _),) = server.response.sent
    assert text.endswith(
        "Caps set by the bot's owner, which no setting here can exceed: pending at once: 5, per hour: 20."
    )
    # Someone who has left the server comes as a user, without roles.
    left = _interaction()
    await commands.show_limits(left, 10, SimpleNamespace(id=42), None)  # type: ignore[arg-type]
    ((text, _),) = left.response.sent
    assert text.startswith(
        "<@42> gets pending at once: 2, per hour: 20, per day: 50, server per day: no limit."
    )


async def test_show_says_when_the_owner_set_no_caps(stores: Stores) -> None:
    commands = _commands(stores, None)
    interaction = _interaction()
    await commands.show_limits(interaction, 10, None, None)
    assert interaction.response.sent[0][0].endswith("The bot's owner has set no caps.")

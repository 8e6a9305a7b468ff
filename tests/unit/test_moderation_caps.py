"""``/videomod limits`` against the owner's caps, with the stores and Discord replaced by recorders."""

from types import SimpleNamespace
from typing import Any

import pytest

from bot.discord_app.moderation_commands import ModerationCommands
from bot.limits import LimitLayer, Limits

DEFAULTS = Limits(max_pending=2, per_hour=0, per_day=50, guild_per_day=0)
CAPS = Limits(max_pending=5, per_hour=20, per_day=0, guild_per_day=0)


class _Response:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []

    async def send_message(self, text: str, ephemeral: bool = False) -> None:
        self.sent.append((text, ephemeral))


class _Jobs:
    def __init__(self) -> None:
        self.stored: list[LimitLayer] = []

    async def set_limits(self, guild_id: int, scope: str, target: int, layer: LimitLayer) -> LimitLayer:
        self.stored.append(layer)
        return layer

    async def limit_overrides(self, guild_id: int) -> list[Any]:
        return []

    async def effective_limits(self, guild_id: int, user_id: int, roles: Any, defaults: Limits) -> Limits:
        return defaults


class _Moderation:
    async def record(self, *args: Any) -> None:
        pass


def _commands(caps: Limits | None) -> tuple[ModerationCommands, _Jobs]:
    jobs = _Jobs()
    return ModerationCommands(jobs, _Moderation(), DEFAULTS, caps), jobs  # type: ignore[arg-type]


def _interaction() -> Any:
    return SimpleNamespace(response=_Response(), user=SimpleNamespace(id=1))


async def _set(caps: Limits | None, layer: LimitLayer) -> tuple[str, bool, list[LimitLayer]]:
    commands, jobs = _commands(caps)
    interaction = _interaction()
    await commands.set_limits(interaction, 10, None, None, layer)
    ((text, private),) = interaction.response.sent
    return text, private, jobs.stored


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
async def test_a_value_above_the_owners_cap_is_refused_privately(layer: LimitLayer, expected: str) -> None:
    text, private, stored = await _set(CAPS, layer)
    assert text == expected and private and stored == []


async def test_every_value_above_a_cap_is_named() -> None:
    text, _, stored = await _set(CAPS, LimitLayer(max_pending=6, per_hour=21, per_day=0))
    assert text.count("\n") == 1 and "`max_pending:6`" in text and "`per_hour:21`" in text and stored == []


@pytest.mark.parametrize(
    ("caps", "layer"),
    [
        (CAPS, LimitLayer(max_pending=5, per_hour=1, per_day=0)),  # per_day has no cap: 0 is fine
        (None, LimitLayer(max_pending=0, per_hour=10_000)),
    ],
)
async def test_values_within_the_caps_are_set(caps: Limits | None, layer: LimitLayer) -> None:
    text, _, stored = await _set(caps, layer)
    assert stored == [layer] and text.startswith("Limits for the server default")


async def test_show_names_the_caps_and_limits_a_member_by_them() -> None:
    commands, _ = _commands(CAPS)
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


async def test_show_says_when_the_owner_set_no_caps() -> None:
    commands, _ = _commands(None)
    interaction = _interaction()
    await commands.show_limits(interaction, 10, None, None)
    assert interaction.response.sent[0][0].endswith("The bot's owner has set no caps.")

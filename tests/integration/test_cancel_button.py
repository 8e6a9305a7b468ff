"""The buttons on a job's messages are not slash commands: their failures never reach the tree's error
handler, so they answer them themselves, privately, as a command would."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.discord_app.button_actions import JobButtonActions
from bot.discord_app.command_errors import QUEUE_UNREACHABLE
from bot.discord_app.job_buttons import JobButton
from bot.discord_app.job_commands import JobCommands
from bot.store.engine import create_engine
from bot.store.jobs import JobStore
from bot.store.moderation import ModerationStore


class _Response:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []

    def is_done(self) -> bool:
        return False

    async def send_message(self, text: str, ephemeral: bool = False) -> None:
        self.sent.append((text, ephemeral))


def _press(client: Any, locale: str = "en-US") -> Any:
    return SimpleNamespace(
        client=client,
        locale=locale,
        guild_id=800000000000000001,
        user=SimpleNamespace(id=1),
        permissions=SimpleNamespace(manage_guild=False),
        response=_Response(),
    )


async def test_a_press_the_queue_cannot_answer_is_told_so_privately(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'videobot.db'}")  # cannot be opened
    try:
        store = JobStore(engine)
        commands = JobCommands(store, "tiny", lambda job_id: None)
        actions = JobButtonActions(store, ModerationStore(engine), commands, video=None)  # type: ignore[arg-type]
        interaction = _press(SimpleNamespace(job_buttons=actions))
        await JobButton("cancel", 5).callback(interaction)
    finally:
        await engine.dispose()
    assert interaction.response.sent == [(QUEUE_UNREACHABLE, True)]


async def test_a_fault_of_the_bot_is_apologised_for_with_the_id_it_is_logged_under(
    caplog: pytest.LogCaptureFixture,
) -> None:
    interaction = _press(SimpleNamespace())  # a client without the buttons' actions: the bot's own fault
    with caplog.at_level(logging.ERROR):
        await JobButton("cancel", 5).callback(interaction)
    ((text, private),) = interaction.response.sent
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    incident = record.getMessage().split()[1].rstrip(":")
    assert private and f"(error `{incident}`)" in text
    assert record.exc_info is not None and "cancel button of job 5" in record.getMessage()

    french = _press(SimpleNamespace(), locale="fr")
    await JobButton("cancel", 5).callback(french)
    ((text, private),) = french.response.sent
    assert private and text.startswith("Désolé, quelque chose s’est mal passé de mon côté (erreur `")

"""Send the commands to Discord only when they changed.

Discord limits how often commands may be updated, and a start that sends the same ones again is wasted.
The payload discord.py would send (names, descriptions, options, choices and their translations) is
hashed, and the hash of the last sync is kept per application and scope (global, or one server) in the
database. ``python -m bot sync`` sends them whatever the hash says.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Protocol

import discord
from discord import app_commands

log = logging.getLogger(__name__)


class SyncRecords(Protocol):
    async def last_hash(self, application_id: int, scope: str) -> str | None: ...

    async def record(self, application_id: int, scope: str, payload_hash: str) -> None: ...


async def command_payload(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None
) -> list[dict[str, Any]]:
    """What ``tree.sync(guild=guild)`` sends Discord (the same steps, without sending it)."""
    commands = tree.get_commands(guild=guild)
    translator = tree.translator
    if translator is not None:
        return [await command.get_translated_payload(tree, translator) for command in commands]
    return [command.to_dict(tree) for command in commands]


def payload_hash(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def sync_if_changed(
    tree: app_commands.CommandTree[Any],
    records: SyncRecords,
    guild: discord.abc.Snowflake | None = None,
    force: bool = False,
) -> bool:
    """Sync the commands of one scope if they differ from the last sync recorded (or ``force``); whether
    they were sent. A database that cannot be read or written costs a sync, never the start."""
    application_id = tree.client.application_id
    if application_id is None:
        raise app_commands.MissingApplicationID()
    scope = "global" if guild is None else f"guild:{guild.id}"
    digest = payload_hash(await command_payload(tree, guild))
    try:
        unchanged = not force and await records.last_hash(application_id, scope) == digest
    except Exception as exc:
        log.warning("could not read the last command sync (%s); syncing", type(exc).__name__)
        unchanged = False
    if unchanged:
        log.info("commands unchanged since the last sync (%s); not sent", scope)
        return False
    await tree.sync(guild=guild)
    try:
        await records.record(application_id, scope, digest)
    except Exception as exc:
        log.warning("commands synced, but the sync was not recorded (%s)", type(exc).__name__)
    return True

import asyncio

import aiohttp
import discord
import pytest
from discord import AppCommandOptionType, app_commands
from sqlalchemy import exc as sa_exc

from bot.discord_app.checks import NotModeratorError
from bot.discord_app.command_errors import (
    OPTIONS_MISMATCH,
    QUEUE_UNREACHABLE,
    SERVERS_ONLY,
    explain,
    unexpected,
)


async def _video(interaction: discord.Interaction, prompt: str) -> None:
    """A stand-in command; never run."""


COMMAND = app_commands.Command(name="video", description="Make a clip", callback=_video)


class _Transformer(app_commands.Transformer):
    async def transform(self, interaction: discord.Interaction, value: object, /) -> object:
        return value


def _invoke_error(original: Exception) -> app_commands.CommandInvokeError:
    return app_commands.CommandInvokeError(COMMAND, original)


def _raised_from(error: Exception, cause: BaseException) -> Exception:
    try:
        raise error from cause
    except Exception as raised:
        return raised


def test_a_command_used_outside_a_server_says_it_works_in_servers_only() -> None:
    assert explain(app_commands.NoPrivateMessage()) == SERVERS_ONLY == "This command works in servers only."


def test_options_that_do_not_match_the_command_ask_to_try_again() -> None:
    text = explain(app_commands.CommandSignatureMismatch(COMMAND))
    assert text == OPTIONS_MISMATCH and "try the command again" in text


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (AppCommandOptionType.user, discord.Object(42), "<@42> is not a member of this server (any more)"),
        (AppCommandOptionType.role, discord.Object(7), "<@&7> is not a role of this server (any more)"),
        (AppCommandOptionType.channel, discord.Object(9), "<#9> cannot be found here"),
        (AppCommandOptionType.user, "42", "That member is not in this server (any more)"),
    ],
)
def test_an_option_that_cannot_be_resolved_names_what_was_not_found(
    kind: AppCommandOptionType, value: object, expected: str
) -> None:
    text = explain(app_commands.TransformerError(value, kind, _Transformer()))
    assert text is not None and text.startswith(expected) and "nothing changed" in text


@pytest.mark.parametrize(
    "original",
    [
        sa_exc.OperationalError("SELECT 1", {}, Exception("unable to open database file")),
        sa_exc.InterfaceError("SELECT 1", {}, Exception("connection is closed")),
        sa_exc.TimeoutError("QueuePool limit reached"),
        ConnectionRefusedError(111, "Connection refused"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed"),
        asyncio.TimeoutError(),  # noqa: UP041  (what asyncio.wait_for raises, by that name)
        sa_exc.DBAPIError(
            "SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True
        ),
        _raised_from(RuntimeError("could not claim"), ConnectionResetError()),
    ],
)
def test_an_unreachable_database_is_named_as_such(original: Exception) -> None:
    assert explain(_invoke_error(original)) == QUEUE_UNREACHABLE


@pytest.mark.parametrize(
    "error",
    [
        _invoke_error(KeyError("job")),
        _invoke_error(sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))),
        app_commands.TransformerError("x", AppCommandOptionType.string, _Transformer()),
        app_commands.AppCommandError("something else"),
    ],
)
def test_faults_of_the_bot_get_no_precise_text(error: app_commands.AppCommandError) -> None:
    assert explain(error) is None


def test_a_failure_to_reach_discord_is_not_blamed_on_the_queue() -> None:
    key = aiohttp.client_reqrep.ConnectionKey("discord.com", 443, True, True, None, None, None)
    unreachable = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))
    assert isinstance(unreachable, OSError)
    assert explain(_invoke_error(unreachable)) is None


def test_an_error_raised_while_handling_a_connection_error_is_not_mistaken_for_one() -> None:
    try:
        try:
            raise ConnectionResetError()
        except ConnectionResetError:
            raise KeyError("a bug in the handler") from None
    except KeyError as bug:
        assert explain(_invoke_error(bug)) is None


def test_a_fault_of_the_bot_is_apologised_for_with_the_id_of_its_log_entry() -> None:
    text = unexpected("1a2b3c4d")
    assert text.startswith("Sorry, something went wrong on my side")
    assert "`1a2b3c4d`" in text


def test_a_member_who_is_not_a_moderator_is_told_what_videomod_needs() -> None:
    assert (
        explain(NotModeratorError()) == "Only members with the Manage Server permission can use `/videomod`."
    )


def test_errors_and_apologies_speak_the_members_language() -> None:
    assert (
        explain(app_commands.NoPrivateMessage(), "fr") == "Cette commande ne fonctionne que sur les serveurs."
    )
    missing = explain(
        app_commands.TransformerError(discord.Object(42), AppCommandOptionType.user, _Transformer()), "fr"
    )
    assert missing is not None and missing.startswith("<@42> n’est pas (ou plus) membre de ce serveur")
    apology = unexpected("1a2b3c4d", "fr")
    assert apology.startswith("Désolé, quelque chose s’est mal passé de mon côté") and "`1a2b3c4d`" in apology

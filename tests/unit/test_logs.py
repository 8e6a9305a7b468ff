"""Tokens, prompts and SQL parameters never reach the logs."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from discord.webhook.async_ import Route
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.logs import RedactSecrets
from bot.store.engine import create_engine

ROOT = Path(__file__).resolve().parents[2]
APP_ID = 900000000000000001
INTERACTION_ID = 1234567890123456789
INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQtdG9rZW4tNzczMQ"
BOT_TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose only handler writes to a buffer through the redacting filter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets([BOT_TOKEN]))
    logger = logging.getLogger("tests.unit.test_logs.captured")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)


def test_webhook_urls_are_redacted_as_discord_py_logs_them(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    log, out = captured
    edit = Route(
        "PATCH",
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
        webhook_id=APP_ID,
        webhook_token=INTERACTION_TOKEN,
    )
    followup = Route(
        "POST", "/webhooks/{webhook_id}/{webhook_token}", webhook_id=APP_ID, webhook_token=INTERACTION_TOKEN
    )
    assert INTERACTION_TOKEN in edit.url
    # discord/webhook/async_.py, AsyncWebhookAdapter.request
    for route in (edit, followup):
        log.debug(
            "Webhook ID %s with %s %s has returned status code %s", APP_ID, route.method, route.url, 200
        )
    log.debug("%s %s has received %s", "POST", f"{followup.url}?wait=1", {"id": "1"})
    log.warning("relative path /webhooks/%d/%s/messages/@original?x=1", APP_ID, INTERACTION_TOKEN)
    written = out.getvalue()
    assert INTERACTION_TOKEN not in written
    assert f"/webhooks/{APP_ID}/[redacted]/messages/@original" in written
    assert f"/webhooks/{APP_ID}/[redacted]?wait=1" in written
    assert written.count("[redacted]") == 4


def test_interaction_callback_urls_are_redacted(captured: tuple[logging.Logger, io.StringIO]) -> None:
    log, out = captured
    callback = Route(
        "POST",
        "/interactions/{webhook_id}/{webhook_token}/callback",
        webhook_id=INTERACTION_ID,
        webhook_token=INTERACTION_TOKEN,
    )
    log.debug(
        "Webhook ID %s with %s %s has returned status code %s", INTERACTION_ID, "POST", callback.url, 200
    )
    log.info("callback %s", f"{callback.url}?with_response=true")
    written = out.getvalue()
    assert INTERACTION_TOKEN not in written
    assert f"/api/v10/interactions/{INTERACTION_ID}/[redacted]/callback" in written
    assert f"/interactions/{INTERACTION_ID}/[redacted]/callback?with_response=true" in written


def test_bot_token_and_authorization_headers_are_redacted(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    log, out = captured
    log.info("token is %s", BOT_TOKEN)
    log.debug("headers %s", {"Authorization": f"Bot {BOT_TOKEN[::-1]}", "User-Agent": "DiscordBot"})
    log.debug("Authorization: Bot %s", "b" * 40)
    log.debug("IDENTIFY %s", '{"op": 2, "d": {"token": "not-a-real-token-but-secret"}}')
    # Shaped like a bot token, though not the one configured.
    log.debug("someone else's %s", "NzkyNzE1NDU0MTk2MDg4ODQy.X-hvzA.Ovy4MCQywSkoMRRclStW4xAYK7I")
    written = out.getvalue()
    for secret in (BOT_TOKEN, BOT_TOKEN[::-1], "b" * 40, "not-a-real-token-but-secret", "Ovy4MCQywSkoMRRcl"):
        assert secret not in written
    assert "DiscordBot" in written and "Authorization" in written


def test_tracebacks_are_redacted_and_short_values_are_left_alone(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    log, out = captured
    try:
        raise RuntimeError(f"POST https://discord.com/api/v10/webhooks/{APP_ID}/{INTERACTION_TOKEN} failed")
    except RuntimeError:
        log.exception("delivery failed with %d%% done", 50)
    written = out.getvalue()
    assert INTERACTION_TOKEN not in written
    assert "Traceback" in written and "delivery failed with 50% done" in written

    short = RedactSecrets(["x"])
    assert short.redact("max 3 boxes") == "max 3 boxes"


def test_configure_logging_holds_back_libraries_that_leak(tmp_path: Path) -> None:
    """The bot's own set-up, in a fresh interpreter at DEBUG: what reaches stderr."""
    script = textwrap.dedent(
        f"""
        import logging
        from bot.logs import configure_logging
        configure_logging("DEBUG")
        from diffusers.utils import logging as diffusers_logging

        logging.getLogger("bot.test").debug("debug from the bot itself")
        logging.getLogger("discord.gateway").debug("WebSocket Event: zebracanary7731 dancing")
        logging.getLogger("discord.http").debug("POST /channels/1/messages with zebracanary7731")
        logging.getLogger("aiosqlite").debug("executing ('zebracanary7731',)")
        logging.getLogger("sqlalchemy.engine.Engine").info("[generated] ('zebracanary7731',)")
        logging.getLogger("discord.webhook.async_").warning(
            "Webhook at %s is rate limited", "/webhooks/{APP_ID}/{INTERACTION_TOKEN}"
        )
        logging.getLogger("discord.client").info("logging in with %s", "{BOT_TOKEN}")
        diffusers_logging.get_logger("diffusers.pipelines.kandinsky5.pipeline_kandinsky").warning(
            "The following part of your input was truncated because CLIP can only handle sequences up to"
            " 77 tokens: zebracanary7731 dancing"
        )
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOBOT_")}
    env["DISCORD_TOKEN"] = BOT_TOKEN
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "DEBUG bot.test: debug from the bot itself" in result.stderr
    assert "zebracanary7731" not in result.stderr
    assert INTERACTION_TOKEN not in result.stderr and BOT_TOKEN not in result.stderr
    assert f"/webhooks/{APP_ID}/[redacted]" in result.stderr
    assert "logging in with [redacted]" in result.stderr


async def test_a_failed_statement_does_not_carry_its_parameters(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    secret = "zebracanary7731 dancing in the quokkasentinel4417"
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (prompt TEXT UNIQUE)"))
            await conn.execute(text("INSERT INTO t (prompt) VALUES (:p)"), {"p": secret})
        with pytest.raises(IntegrityError) as failed:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (prompt) VALUES (:p)"), {"p": secret})
    finally:
        await engine.dispose()
    message = str(failed.value)
    assert "UNIQUE constraint failed" in message
    assert secret not in message and "zebracanary7731" not in message
    assert "parameters hidden" in message


def test_json_logs_carry_the_job_server_and_worker_and_stay_redacted(tmp_path: Path) -> None:
    """``log_format = "json"`` in a fresh interpreter: one object per line, with what each record is about,
    through tasks and threads, and tokens redacted in messages and tracebacks alike."""
    script = textwrap.dedent(
        f"""
        import asyncio, logging
        from bot.logs import configure_logging
        from bot.log_context import about_job, as_worker, in_guild
        configure_logging("INFO", log_format="json")
        log = logging.getLogger("bot.worker")

        async def worker():
            as_worker("gpu-1")
            log.info("worker up")
            with about_job(7, 800):
                log.info("job started with %s", "{BOT_TOKEN}")
                await asyncio.to_thread(log.info, "rendering in a thread")
                await asyncio.create_task(asyncio.sleep(0))
                try:
                    raise RuntimeError("POST /webhooks/{APP_ID}/{INTERACTION_TOKEN} failed")
                except RuntimeError:
                    log.exception("posting failed")
            log.info("idle")

        async def command():
            in_guild(801)
            logging.getLogger("bot.discord_app").warning("refused")

        async def main():
            await asyncio.gather(worker(), command())

        asyncio.run(main())
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOBOT_")}
    env["DISCORD_TOKEN"] = BOT_TOKEN
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    records = {entry["message"]: entry for entry in map(json.loads, result.stderr.splitlines())}
    about = {message: (e["job_id"], e["guild_id"], e["worker"]) for message, e in records.items()}
    assert about == {
        "worker up": (None, None, "gpu-1"),
        "job started with [redacted]": (7, 800, "gpu-1"),
        "rendering in a thread": (7, 800, "gpu-1"),
        "posting failed": (7, 800, "gpu-1"),
        "idle": (None, None, "gpu-1"),
        "refused": (None, 801, None),
    }
    failed = records["posting failed"]
    assert failed["level"] == "ERROR" and failed["logger"] == "bot.worker"
    assert "RuntimeError" in failed["exception"] and INTERACTION_TOKEN not in failed["exception"]
    assert BOT_TOKEN not in result.stderr and INTERACTION_TOKEN not in result.stderr
    assert records["refused"]["time"].endswith("+00:00")

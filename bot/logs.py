"""Logging set-up that keeps tokens, prompts and SQL parameters out of the logs, at every level."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from bot.config import discord_token
from bot.log_context import FIELDS, ContextFields

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Interaction and webhook tokens in REST paths, with or without the API prefix, before any query string.
    (re.compile(r"(/(?:webhooks|interactions)/[^/\s?#'\"]+/)[^/\s?#'\"]+"), rf"\g<1>{REDACTED}"),
    # Authorization headers, as text or as a dict's repr: "Authorization: Bot x", "'Authorization': 'Bot x'".
    (
        re.compile(r"(authorization['\"]?\s*[:=]\s*['\"]?)(?:(?:bot|bearer)\s+)?[^\s'\",}]+", re.IGNORECASE),
        rf"\g<1>{REDACTED}",
    ),
    (re.compile(r"\b((?:Bot|Bearer)\s+)[\w.-]{20,}"), rf"\g<1>{REDACTED}"),
    # A "token" field of a JSON payload (IDENTIFY, INTERACTION_CREATE).
    (re.compile(r"(['\"]token['\"]\s*:\s*['\"])[^'\"]+"), rf"\g<1>{REDACTED}"),
    # Anything shaped like a Discord bot token.
    (re.compile(r"\b[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,}"), REDACTED),
    # diffusers quotes the part of a prompt that the text encoder cut off.
    (
        re.compile(r"(The following part of your input was truncated because .*?tokens:).*", re.DOTALL),
        r"\g<1> [prompt text not logged]",
    ),
)

# Loggers that write parameters, payloads or prompts below these levels.
_ALWAYS: dict[str, int] = {
    "aiosqlite": logging.WARNING,  # every statement with its bound parameters, at DEBUG
    "sqlalchemy.engine": logging.WARNING,  # statements and parameters at INFO, rows at DEBUG
    # diffusers writes through its own handler, past the root's filter; its pipelines quote truncated prompts.
    "diffusers.pipelines": logging.ERROR,
    "diffusers.modular_pipelines": logging.ERROR,
}
# discord.py dumps gateway payloads (tokens, prompts) and REST bodies at DEBUG.
_AT_LEAST_INFO = ("discord.gateway", "discord.http", "discord.webhook")


class RedactSecrets(logging.Filter):
    """Replaces tokens in every record's final message (and traceback text) before a handler writes it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Short values would blank out ordinary words; real tokens are long.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a malformed call: the handler reports it, as it would without this filter
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the job, server and worker it is about, and
    the traceback if any (all already redacted by ``RedactSecrets``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name, None) for name in FIELDS})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, secrets: Iterable[str] = (), log_format: str = "text") -> None:
    """Log to stderr at ``level``, as text or one JSON object per line, with secrets redacted and the
    libraries that leak them held back.

    ``secrets`` are extra values to blank out; the bot token (``DISCORD_TOKEN``) always is.
    """
    logging.basicConfig(level=level, format=FORMAT)
    root = logging.getLogger()
    token = discord_token()
    redact = RedactSecrets([*secrets, *([token] if token else [])])
    for handler in root.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(redact)
        if not any(isinstance(f, ContextFields) for f in handler.filters):
            handler.addFilter(ContextFields())
        if log_format == "json":
            handler.setFormatter(JsonFormatter())
    for name, floor in _ALWAYS.items():
        logging.getLogger(name).setLevel(floor)
    for name in _AT_LEAST_INFO:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))

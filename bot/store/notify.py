"""Wake workers the moment a job is queued: PostgreSQL LISTEN/NOTIFY.

Submitting a job sends ``NOTIFY videobot_jobs`` in the same transaction, so it arrives on commit. Workers
still poll (``worker.poll_interval``): a connection pooler that drops notifications, or a listener that
is reconnecting, only adds latency. SQLite has no notifications; a bot and its embedded worker share a
process and wake each other directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.engine import make_url

from generation.explained import first_line

log = logging.getLogger(__name__)

CHANNEL = "videobot_jobs"
NOTIFY_SQL = f"SELECT pg_notify('{CHANNEL}', :model)"


def supports_notify(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


async def listen_forever(url: str, on_notify: Callable[[str], None], retry_delay: float = 5.0) -> None:
    """Call ``on_notify(model)`` for every job queued, reconnecting whenever the connection drops."""
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            conn = await asyncpg.connect(dsn, timeout=10)
        except Exception as exc:  # refused, reset, timed out, starting up: all pass
            log.warning("cannot listen for new jobs (%s); polling until it works", first_line(exc))
            await asyncio.sleep(retry_delay)
            continue
        lost = asyncio.Event()

        def on_termination(_conn: object, lost: asyncio.Event = lost) -> None:
            lost.set()

        try:
            conn.add_termination_listener(on_termination)
            await conn.add_listener(CHANNEL, lambda _c, _pid, _channel, payload: on_notify(payload))
            log.info("listening for new jobs")
            await lost.wait()
            log.warning("lost the notification connection; reconnecting")
        except Exception as exc:
            log.warning("the notification connection failed (%s); reconnecting", first_line(exc))
            await asyncio.sleep(retry_delay)
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

"""The TCP proxy that stands between the bot and PostgreSQL: it forwards the real protocol, and an outage
refuses new connections and cuts the open ones, on the same port throughout."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.store.engine import create_engine
from standins.tcp_proxy import TcpProxy


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def _echo_server() -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(1024):
                writer.write(data)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def _round_trip(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), 5)
    finally:
        writer.close()


def test_url_for_points_a_sqlalchemy_url_at_the_proxy_and_keeps_the_rest() -> None:
    proxy = TcpProxy("127.0.0.1", 5432)
    proxy.port = 41234
    url = proxy.url_for("postgresql+asyncpg://videobot:s3cret@db.example:5432/jobs?ssl=disable")
    assert url == "postgresql+asyncpg://videobot:s3cret@127.0.0.1:41234/jobs?ssl=disable"


async def test_bytes_are_forwarded_and_an_outage_refuses_and_cuts_connections_on_the_same_port() -> None:
    async with _echo_server() as target, TcpProxy("127.0.0.1", target) as proxy:
        port = proxy.port
        assert port and port != target
        assert await _round_trip(port, b"hello" * 10_000) == b"hello" * 10_000

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        assert await reader.readexactly(4) == b"ping"

        proxy.down()
        assert not proxy.is_up and proxy.open_connections == 0 and proxy.resets == 1
        # The open connection was reset...
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            writer.write(b"more")
            await writer.drain()
            await asyncio.wait_for(reader.readexactly(4), 5)
        writer.close()
        # ... and new ones are refused.
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)

        proxy.up()
        assert proxy.port == port
        assert await _round_trip(port, b"back") == b"back"


async def test_outage_lasts_as_long_as_asked() -> None:
    async with _echo_server() as target, TcpProxy("127.0.0.1", target) as proxy:
        outage = asyncio.create_task(proxy.outage(0.5))
        await asyncio.sleep(0.1)
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", proxy.port)
        await outage
        assert await _round_trip(proxy.port, b"x") == b"x"


@pytest.mark.postgres
async def test_asyncpg_queries_work_through_the_proxy_fail_during_an_outage_and_work_again(
    postgres_url: str,
) -> None:
    import asyncpg

    direct = make_url(postgres_url)
    async with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
        dsn = _asyncpg_dsn(proxy.url_for(postgres_url))
        conn = await asyncpg.connect(dsn, timeout=5)
        assert await conn.fetchval("SELECT 40 + 2") == 42

        proxy.down()
        # The open connection was cut, and a new one cannot be made.
        with pytest.raises((ConnectionError, OSError, asyncpg.exceptions.ConnectionDoesNotExistError)):
            await asyncio.wait_for(conn.fetchval("SELECT 1"), 5)
        with pytest.raises((ConnectionError, OSError)):
            await asyncpg.connect(dsn, timeout=5)
        await conn.close()

        proxy.up()
        conn = await asyncpg.connect(dsn, timeout=5)
        try:
            assert await conn.fetchval("SELECT 'back'") == "back"
        finally:
            await conn.close()


@pytest.mark.postgres
async def test_the_bots_engine_recovers_after_an_outage(postgres_url: str) -> None:
    direct = make_url(postgres_url)
    async with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
        engine = create_engine(proxy.url_for(postgres_url))
        try:
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar() == 1
            outage = asyncio.create_task(proxy.outage(1.0))
            await asyncio.sleep(0.1)
            # Pre-ping finds the pooled connection cut, and connecting again is refused.
            with pytest.raises((OSError, DBAPIError)):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            await outage
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT 2"))).scalar() == 2
        finally:
            await engine.dispose()

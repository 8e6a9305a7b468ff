"""A TCP forwarder that can take a real server away for a while: a stand-in for a network outage.

It speaks whatever protocol the target speaks by forwarding bytes both ways. While it is down, new
connections are refused (the listening socket is closed, so a connect gets ECONNREFUSED) and every
connection it was forwarding was reset when the outage began; when it comes back up it listens on the
same port again, so clients configured with its address reconnect without being told anything.

    async with TcpProxy("127.0.0.1", 5432) as proxy:
        url = proxy.url_for("postgresql+asyncpg://postgres@127.0.0.1:5432/test")
        ...
        await proxy.outage(5)  # or proxy.down() ... proxy.up()
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Coroutine
from typing import Any

from sqlalchemy.engine import make_url

CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1", port: int = 0) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = port  # 0 until started: then the port chosen, kept across outages
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._connections: set[_Forwarded] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.accepted = 0  # connections forwarded so far
        self.resets = 0  # connections cut by outages

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self.up()

    async def stop(self) -> None:
        self.down()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- what tests use ---------------------------------------------------------------------------
    @property
    def is_up(self) -> bool:
        return self._listener is not None

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    def url_for(self, database_url: str) -> str:
        """The same SQLAlchemy URL with its host and port pointing at this proxy."""
        if not self.port:
            raise RuntimeError("the proxy is not started")
        url = make_url(database_url).set(host=self.host, port=self.port)
        return url.render_as_string(hide_password=False)

    def down(self) -> None:
        """Refuse new connections and reset every forwarded one, until :meth:`up`."""
        listener, self._listener = self._listener, None
        accepting, self._accepting = self._accepting, None
        if listener is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(listener.fileno())
            listener.close()  # connects get ECONNREFUSED, and so do those still in the backlog
        if accepting is not None:
            accepting.cancel()
        for connection in list(self._connections):
            connection.reset()
            self.resets += 1
        self._connections.clear()

    def up(self) -> None:
        """Listen again, on the same port (the first time: on an ephemeral one, unless given)."""
        if self._listener is not None:
            return
        # SO_REUSEADDR (create_server's default on POSIX) binds the port again despite the cut connections.
        listener = socket.create_server((self.host, self.port), backlog=128)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accepting = asyncio.get_running_loop().create_task(self._accept_loop(listener))

    async def outage(self, seconds: float) -> None:
        """Be down for ``seconds``, then up again."""
        self.down()
        try:
            await asyncio.sleep(seconds)
        finally:
            self.up()

    # -- internals --------------------------------------------------------------------------------
    async def _accept_loop(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                client, _ = await loop.sock_accept(listener)
            except OSError:
                if self._listener is not listener:
                    return  # closed by down()
                raise
            if self._listener is not listener:
                _abort_socket(client)
                return
            self._spawn(self._forward(client))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _forward(self, client: socket.socket) -> None:
        listener = self._listener
        try:
            client_reader, client_writer = await asyncio.open_connection(sock=client)
        except OSError:
            _abort_socket(client)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            _abort(client_writer)
            return
        if self._listener is not listener or listener is None:  # an outage began while connecting
            _abort(client_writer)
            _abort(upstream_writer)
            return
        self.accepted += 1
        connection = _Forwarded(client_writer, upstream_writer)
        self._connections.add(connection)
        loop = asyncio.get_running_loop()
        pumps = [
            loop.create_task(_pump(client_reader, upstream_writer)),
            loop.create_task(_pump(upstream_reader, client_writer)),
        ]
        try:
            done, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            if pending and all(not t.cancelled() and t.result() for t in done):
                # A clean end of stream on one side: let the other side finish its answer.
                await asyncio.wait(pending)
        finally:
            self._connections.discard(connection)
            for pump in pumps:
                pump.cancel()
            connection.close()


class _Forwarded:
    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream

    def reset(self) -> None:
        _abort(self.client)
        _abort(self.upstream)

    def close(self) -> None:
        for writer in (self.client, self.upstream):
            with contextlib.suppress(Exception):
                writer.close()


def _linger_zero(sock: socket.socket) -> None:
    # Closing with SO_LINGER 0 sends a TCP reset, as a dropped network path or a dead server would look.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _abort_socket(sock: socket.socket) -> None:
    _linger_zero(sock)
    sock.close()


def _abort(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        _linger_zero(sock)
    writer.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """Copy until end of stream (then half-close the other side and return True) or an error (False)."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        return True
    except (ConnectionError, OSError):
        return False

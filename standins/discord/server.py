"""The stand-in server: Discord's REST API and gateway, enough of both for the bot's real client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from standins.discord import payloads

API = "/api/v10"


@dataclass
class Recorded:
    """One REST request the client made."""

    method: str
    path: str
    route: str
    at: float
    json: Any = None
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    authorized: bool = False
    response: Any = None


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py checks the content type by string equality: no "; charset=utf-8" allowed.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


class DiscordStandIn:
    def __init__(
        self,
        *,
        app_id: int = 900000000000000001,
        bot_id: int = 900000000000000001,
        guilds: dict[int, int] | None = None,
        token: str = "x",
        nonce_window: float = 120.0,
        shards: int = 1,
    ) -> None:
        self.app_id = app_id
        self.bot_user = payloads.user(bot_id, "videobot", bot=True)
        self.owner = payloads.user(900000000000000099, "owner")
        # guild id -> channel id
        self.guilds = guilds or {800000000000000001: 700000000000000001}
        self.token = token
        self.requests: list[Recorded] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.commands: list[dict[str, Any]] = []
        self.registered: dict[str | None, list[dict[str, Any]]] = {}  # scope (None: global) -> its commands
        self.identified = asyncio.Event()
        self.port = 0
        self._original: dict[str, int] = {}  # interaction token -> original response message id
        self._sockets: list[web.WebSocketResponse] = []
        # How many gateway connections Discord asks the bot for (GET /gateway/bot); each serves the servers
        # whose id maps to it, as Discord's do: (guild_id >> 22) % shards.
        self.shards = shards
        self._shard_of: dict[web.WebSocketResponse, int] = {}
        self.identifies: list[list[int] | None] = []  # each IDENTIFY's "shard" field, in order
        self._seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.failing_routes: dict[str, int] = {}  # route name -> HTTP status to answer with
        # route name -> HTTP statuses to answer its next requests with, one each, before serving it again
        self.fail_next: dict[str, list[int]] = {}
        # route name -> seconds to wait, after acting on a request, before answering it (a crash window)
        self.hold: dict[str, float] = {}
        # (channel, nonce) -> (message id, when): Discord answers a repeated nonce with the first message
        # for a few minutes only; 0 turns that off, so that only the bot's own lookups prevent repeats.
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self.nonce_window = nonce_window
        self.uploads: dict[str, bytes] = {}  # attachment id -> what a member uploaded
        self.posted_files: dict[str, bytes] = {}  # attachment id -> a file the bot posted
        self.attachment_downloads: list[str] = []  # ids of member attachments the bot fetched
        self.dm_channels: dict[int, int] = {}  # user id -> their direct-message channel with the bot
        self.closed_dms: set[int] = set()  # users who accept no direct messages from the bot
        self.forbidden_channels: set[int] = set()  # channels where the bot may no longer post
        self.forms: dict[str, dict[str, Any]] = {}  # interaction token -> the form (modal) answering it
        self.gateway_open = True  # False: the gateway drops its connections and refuses new ones

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{filename}", self._serve_attachment)
        routes: list[tuple[str, str, str]] = [
            ("GET", "/users/@me", "me"),
            ("GET", "/oauth2/applications/@me", "application"),
            ("GET", "/gateway", "get_gateway"),
            ("GET", "/gateway/bot", "get_bot_gateway"),
            ("PUT", "/applications/{app}/commands", "sync_global"),
            ("GET", "/applications/{app}/commands", "list_global"),
            ("GET", "/applications/{app}/guilds/{guild}/commands", "list_guild"),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", "sync_guild"),
            ("POST", "/interactions/{id}/{token}/callback", "callback"),
            ("GET", "/webhooks/{app}/{token}/messages/{message}", "webhook_get"),
            ("PATCH", "/webhooks/{app}/{token}/messages/{message}", "webhook_edit"),
            ("DELETE", "/webhooks/{app}/{token}/messages/{message}", "webhook_delete"),
            ("POST", "/webhooks/{app}/{token}", "followup"),
            ("POST", "/channels/{channel}/messages", "channel_message"),
            ("GET", "/channels/{channel}/messages", "channel_history"),
            ("GET", "/channels/{channel}/messages/{message}", "channel_message_get"),
            ("PATCH", "/channels/{channel}/messages/{message}", "channel_message_edit"),
            ("DELETE", "/channels/{channel}/messages/{message}", "channel_message_delete"),
            ("POST", "/users/@me/channels", "create_dm"),
        ]
        for method, path, name in routes:
            app.router.add_route(method, API + path, self._handler(name))
        app.router.add_route("*", "/{tail:.*}", self._handler("unknown"))
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> DiscordStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- what tests use ---------------------------------------------------------------------------
    async def wait_for(
        self, predicate: Callable[[Recorded], bool], timeout: float = 30.0, description: str = "request"
    ) -> Recorded:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                for rec in self.requests:
                    if predicate(rec):
                        return rec
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(f"  {r.method} {r.path}" for r in self.requests[-20:])
                    raise TimeoutError(f"no {description} within {timeout}s; last requests:\n{seen}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    def of_route(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    async def wait_connected(self, timeout: float = 60.0) -> None:
        await asyncio.wait_for(self.identified.wait(), timeout)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event on the connection of the shard that serves its server (direct messages: shard 0)."""
        if not self._sockets:
            raise RuntimeError("no gateway client is connected")
        guild_id = data.get("guild_id")
        shard = (int(guild_id) >> 22) % self.shards if guild_id else 0
        for ws in [ws for ws in self._sockets if self._shard_of.get(ws, 0) == shard]:
            self._seq += 1
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    def slash_command(self, name: str, user_id: int, **options: Any) -> dict[str, Any]:
        """A slash command used in the first server, or in ``guild=`` (one of the stand-in's)."""
        guild = options.pop("guild", None)
        guild_id, channel_id = (
            next(iter(self.guilds.items())) if guild is None else (guild, self.guilds[guild])
        )
        limit = options.pop("attachment_size_limit", 10 * 1024 * 1024)
        extra: dict[str, Any] = {
            k: options.pop(k)
            for k in ("permissions", "subcommand", "users", "focused", "channels", "locale", "guild_locale")
            if k in options
        }
        files = options.pop("files", {})
        if files:
            extra["attachments"] = {
                name: self.upload(filename, data) for name, (filename, data) in files.items()
            }
        return payloads.slash_command(
            app_id=self.app_id,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            name=name,
            options={k: v for k, v in options.items() if v is not None},
            attachment_size_limit=limit,
            **extra,
        )

    def click(
        self, message_id: int, custom_id: str, user_id: int, permissions: str | None = None
    ) -> dict[str, Any]:
        guild_id, channel_id = next(iter(self.guilds.items()))
        payload = payloads.button_click(
            app_id=self.app_id,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            custom_id=custom_id,
            message=self.messages[message_id],
            **({"permissions": permissions} if permissions else {}),
        )
        self._original[payload["token"]] = message_id  # UPDATE_MESSAGE edits the clicked message
        return payload

    def fill_form(self, opened_by: str, user_id: int, **changes: str) -> dict[str, Any]:
        """The member submits the form that the interaction with token ``opened_by`` was answered with:
        each text input keeps its prefilled value unless ``changes`` names it."""
        guild_id, channel_id = next(iter(self.guilds.items()))
        form = self.forms[opened_by]
        fields = [field for row in form.get("components", []) for field in row.get("components", [])]
        return payloads.form_submit(
            app_id=self.app_id,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            custom_id=form["custom_id"],
            values={f["custom_id"]: changes.get(f["custom_id"], f.get("value") or "") for f in fields},
        )

    def upload(self, filename: str, data: bytes) -> dict[str, Any]:
        """Keep a member's attachment where its URL points, and describe it as Discord would."""
        attachment_id = str(payloads.snowflake())
        self.uploads[attachment_id] = data
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": "image/png" if filename.endswith(".png") else "application/octet-stream",
        }

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        attachment_id = request.match_info["id"]
        if attachment_id in self.posted_files:  # a file the bot posted, read back (Extend)
            return web.Response(body=self.posted_files[attachment_id], content_type="video/mp4")
        data = self.uploads.get(attachment_id)
        self.attachment_downloads.append(attachment_id)
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def interact(self, payload: dict[str, Any]) -> float:
        """Send an INTERACTION_CREATE; returns the monotonic time it was sent."""
        sent = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", payload)
        return sent

    # -- REST -------------------------------------------------------------------------------------
    def _handler(self, route: str) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            rec = Recorded(
                method=request.method,
                path=request.path,
                route=route,
                at=time.monotonic(),
                query=dict(request.query),
                authorized=request.headers.get("Authorization") == f"Bot {self.token}",
            )
            await self._read_body(request, rec)
            failing = self.failing_routes.get(route)
            if failing is None and self.fail_next.get(route):
                failing = self.fail_next[route].pop(0)
            if failing is not None:
                response = _json({"message": "stand-in failure", "code": 0}, failing)
            else:
                response = await getattr(self, f"_r_{route}")(request, rec)
            if route in self.hold:
                await asyncio.sleep(self.hold[route])
            async with self._changed:
                self.requests.append(rec)
                self._changed.notify_all()
            return response

        return handle

    @staticmethod
    async def _read_body(request: web.Request, rec: Recorded) -> None:
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                body = await part.read()
                if part.name == "payload_json":
                    rec.json = json.loads(body)
                else:
                    rec.files[part.name] = (part.filename or "", bytes(body))
        elif request.can_read_body:
            raw = await request.read()
            rec.json = json.loads(raw) if raw else None

    def _unauthorized(self, rec: Recorded) -> web.Response | None:
        if not rec.authorized:
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return None

    async def _r_me(self, request: web.Request, rec: Recorded) -> web.Response:
        return self._unauthorized(rec) or _json(self.bot_user)

    async def _r_application(self, request: web.Request, rec: Recorded) -> web.Response:
        return self._unauthorized(rec) or _json(payloads.application(self.app_id, self.owner))

    async def _r_get_gateway(self, request: web.Request, rec: Recorded) -> web.Response:
        return _json({"url": self.gateway_url})

    async def _r_get_bot_gateway(self, request: web.Request, rec: Recorded) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        body = {"url": self.gateway_url, "shards": self.shards, "session_start_limit": limit}
        return self._unauthorized(rec) or _json(body)

    async def _r_sync_global(self, request: web.Request, rec: Recorded) -> web.Response:
        return self._unauthorized(rec) or _json(self._store_commands(rec.json, None))

    async def _r_sync_guild(self, request: web.Request, rec: Recorded) -> web.Response:
        return self._unauthorized(rec) or _json(self._store_commands(rec.json, request.match_info["guild"]))

    def _store_commands(self, commands: list[dict[str, Any]], guild_id: str | None) -> list[dict[str, Any]]:
        stored = []
        for command in commands:
            full = {
                "id": str(payloads.snowflake()),
                "application_id": str(self.app_id),
                "version": str(payloads.snowflake()),
                "type": 1,
                "description": "",
                **command,
            }
            if guild_id:
                full["guild_id"] = guild_id
            stored.append(full)
        self.commands = stored  # the last synced, whatever its scope
        self.registered[guild_id] = stored
        return stored

    async def _r_list_global(self, request: web.Request, rec: Recorded) -> web.Response:
        return self._unauthorized(rec) or _json(self.registered.get(None, []))

    async def _r_list_guild(self, request: web.Request, rec: Recorded) -> web.Response:
        return self._unauthorized(rec) or _json(self.registered.get(request.match_info["guild"], []))

    async def _r_callback(self, request: web.Request, rec: Recorded) -> web.Response:
        token = request.match_info["token"]
        body = rec.json or {}
        kind = body.get("type")
        flags = (body.get("data") or {}).get("flags") or 0
        if kind == 7 and token in self._original:  # UPDATE_MESSAGE: edit the message the button is on
            msg = self.messages[self._original[token]]
            msg.update({k: v for k, v in (body.get("data") or {}).items() if k in ("content", "components")})
        elif kind == 4:  # a message right away
            self._create_message(token, body.get("data") or {}, rec)
        elif kind == 9:  # a form (modal) for the member to fill in
            self.forms[token] = body.get("data") or {}
        elif kind == 5:  # deferred: "thinking", the message is created empty
            self._create_message(token, {"content": "", "flags": flags | 128}, rec)
        return _json(
            {
                "interaction": {
                    "id": request.match_info["id"],
                    "type": 2,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(flags & 64),
                }
            }
        )

    def _create_message(self, token: str, payload: dict[str, Any], rec: Recorded) -> dict[str, Any]:
        channel_id = next(iter(self.guilds.values()))
        message_id = payloads.snowflake()
        msg = payloads.message(message_id, channel_id, self.bot_user, payload, [], webhook_id=self.app_id)
        self.messages[message_id] = msg
        self._original[token] = message_id
        return msg

    def _webhook_message(self, request: web.Request) -> int | None:
        ref = request.match_info["message"]
        return self._original.get(request.match_info["token"]) if ref == "@original" else int(ref)

    async def _r_webhook_get(self, request: web.Request, rec: Recorded) -> web.Response:
        message_id = self._webhook_message(request)
        if message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        return _json(self.messages[message_id])

    async def _r_webhook_edit(self, request: web.Request, rec: Recorded) -> web.Response:
        message_id = self._webhook_message(request)
        if message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        msg = self.messages[message_id]
        body = rec.json or {}
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key]
        msg["attachments"] = self._attachments(rec, msg["channel_id"])
        msg["edited_timestamp"] = payloads.iso_now()
        rec.response = msg
        return _json(msg)

    async def _r_webhook_delete(self, request: web.Request, rec: Recorded) -> web.Response:
        self.messages.pop(self._webhook_message(request) or 0, None)
        return web.Response(status=204)

    async def _r_followup(self, request: web.Request, rec: Recorded) -> web.Response:
        return self._post_message(rec, next(iter(self.guilds.values())), webhook_id=self.app_id)

    def _post_message(self, rec: Recorded, channel_id: int, webhook_id: int | None = None) -> web.Response:
        message_id = payloads.snowflake()
        attachments = self._attachments(rec, channel_id)
        msg = payloads.message(message_id, channel_id, self.bot_user, rec.json or {}, attachments, webhook_id)
        self.messages[message_id] = msg
        rec.response = msg
        return _json(msg)

    async def _r_channel_message(self, request: web.Request, rec: Recorded) -> web.Response:
        unauthorized = self._unauthorized(rec)
        if unauthorized:
            return unauthorized
        channel_id = int(request.match_info["channel"])
        dm_user = next((u for u, c in self.dm_channels.items() if c == channel_id), None)
        if channel_id not in self.guilds.values() and dm_user is None:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        if channel_id in self.forbidden_channels:
            return _json({"message": "Missing Permissions", "code": 50013}, 403)
        if dm_user in self.closed_dms:
            return _json({"message": "Cannot send messages to this user", "code": 50007}, 403)
        body = rec.json or {}
        key = (channel_id, str(body.get("nonce")))
        seen = self._nonces.get(key)
        if body.get("enforce_nonce") and seen and time.monotonic() - seen[1] < self.nonce_window:
            # Discord answers a repeated nonce with the message it already created.
            rec.response = self.messages[seen[0]]
            return _json(rec.response)
        response = self._post_message(rec, channel_id)
        if body.get("nonce") is not None:
            self._nonces[key] = (int(rec.response["id"]), time.monotonic())
        return response

    async def _r_channel_history(self, request: web.Request, rec: Recorded) -> web.Response:
        unauthorized = self._unauthorized(rec)
        if unauthorized:
            return unauthorized
        channel_id = request.match_info["channel"]
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 50))
        found = sorted(
            (m for m in self.messages.values() if m["channel_id"] == channel_id and int(m["id"]) > after),
            key=lambda m: int(m["id"]),
        )[:limit]
        return _json(list(reversed(found)))

    async def _r_create_dm(self, request: web.Request, rec: Recorded) -> web.Response:
        unauthorized = self._unauthorized(rec)
        if unauthorized:
            return unauthorized
        user_id = int((rec.json or {})["recipient_id"])
        channel_id = self.dm_channels.setdefault(user_id, payloads.snowflake())
        return _json(
            {
                "id": str(channel_id),
                "type": 1,
                "last_message_id": None,
                "recipients": [payloads.user(user_id, f"member{user_id}")],
            }
        )

    async def _r_channel_message_get(self, request: web.Request, rec: Recorded) -> web.Response:
        unauthorized = self._unauthorized(rec)
        if unauthorized:
            return unauthorized
        message = self.messages.get(int(request.match_info["message"]))
        if message is None or message["channel_id"] != request.match_info["channel"]:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        return _json(message)

    async def _r_channel_message_delete(self, request: web.Request, rec: Recorded) -> web.Response:
        unauthorized = self._unauthorized(rec)
        if unauthorized:
            return unauthorized
        if self.messages.pop(int(request.match_info["message"]), None) is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        return web.Response(status=204)

    def original_response(self, token: str) -> dict[str, Any] | None:
        """The message an interaction's first response made (a ``/video`` status message), as it is now."""
        message_id = self._original.get(token)
        return self.messages.get(message_id) if message_id is not None else None

    def direct_messages(self, user_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent this member directly, oldest first."""
        channel = str(self.dm_channels.get(user_id, ""))
        return sorted(
            (m for m in self.messages.values() if m["channel_id"] == channel), key=lambda m: int(m["id"])
        )

    def channel_messages(self) -> list[dict[str, Any]]:
        """Messages that exist in the channels now (what members would see), oldest first."""
        channels = {str(c) for c in self.guilds.values()}
        return sorted(
            (m for m in self.messages.values() if m["channel_id"] in channels and "webhook_id" not in m),
            key=lambda m: int(m["id"]),
        )

    async def _r_channel_message_edit(self, request: web.Request, rec: Recorded) -> web.Response:
        unauthorized = self._unauthorized(rec)
        if unauthorized:
            return unauthorized
        msg = self.messages.get(int(request.match_info["message"]))
        if msg is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        msg.update({k: v for k, v in (rec.json or {}).items() if k in ("content", "embeds", "components")})
        return _json(msg)

    async def _r_unknown(self, request: web.Request, rec: Recorded) -> web.Response:
        return _json({"message": f"stand-in has no route {request.method} {request.path}", "code": 0}, 404)

    def _attachments(self, rec: Recorded, channel_id: int | str) -> list[dict[str, Any]]:
        listed = {str(a.get("id")): a for a in ((rec.json or {}).get("attachments") or [])}
        out = []
        for index, (_part, (filename, data)) in enumerate(sorted(rec.files.items())):
            attachment_id = payloads.snowflake()
            meta = listed.get(str(index), {})
            name = meta.get("filename") or filename
            self.posted_files[str(attachment_id)] = data
            url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{name}"
            out.append(
                {
                    "id": str(attachment_id),
                    "filename": name,
                    "size": len(data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": "video/mp4" if name.endswith(".mp4") else "application/octet-stream",
                }
            )
        return out

    # -- gateway ----------------------------------------------------------------------------------
    async def drop_gateway(self) -> None:
        """Discord's gateway goes away: open connections close, new ones are refused until ``gateway_open``
        is set again."""
        self.gateway_open = False
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"going away")

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if not self.gateway_open:
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    identify = frame.get("d") or {}
                    if identify.get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed")
                        break
                    shard = identify.get("shard")
                    self.identifies.append(shard)
                    shard_id, count = shard if shard else (0, 1)
                    if count != self.shards or not 0 <= shard_id < count:
                        await ws.close(code=4010, message=b"Invalid shard")  # Discord's code for it
                        break
                    await self._ready(ws, shard_id)
                elif op == 6:  # RESUME: sessions are not kept; ask for a fresh IDENTIFY
                    await ws.send_str(json.dumps({"op": 9, "d": False}))
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
            self._shard_of.pop(ws, None)
        return ws

    async def _ready(self, ws: web.WebSocketResponse, shard: int) -> None:
        guilds = {g: c for g, c in self.guilds.items() if (g >> 22) % self.shards == shard}
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "shard": [shard, self.shards],
            "session_id": f"session-{payloads.snowflake()}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        self._seq += 1
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._seq, "d": ready}))
        for guild_id, channel_id in guilds.items():
            self._seq += 1
            data = payloads.guild(guild_id, channel_id, int(self.owner["id"]))
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": self._seq, "d": data}))
        self._sockets.append(ws)
        self._shard_of[ws] = shard
        if set(self._shard_of.values()) == set(range(self.shards)):  # every shard is connected
            self.identified.set()

"""A stand-in for the Hugging Face Hub: the parts of its HTTP API that ``huggingface_hub`` uses to download a
model (repository info, the file tree, and each file with its metadata and Range requests), serving local
directories as repositories. Point a client at it with ``HF_ENDPOINT=http://127.0.0.1:<port>``.

It speaks plain HTTP downloads only: no Xet headers, so clients fetch files as the Hub serves them to
clients without Xet. ``stall_after`` holds a file back after some bytes, as a connection that stopped
moving, so that a test can kill a download midway; ``drop_after`` closes the connection after some bytes,
as a network blip, which a client resumes with a Range request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

# Files at least this large are stored with Git LFS on the Hub, which changes the headers they carry.
LFS_FROM = 10 * 1024
CHUNK = 64 * 1024


@dataclass
class HubRequest:
    method: str
    path: str
    range: str | None
    authorization: str | None


@dataclass
class _Repo:
    directory: Path
    commit: str
    files: dict[str, Path] = field(default_factory=dict)


def _git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubStandIn:
    def __init__(self, token: str | None = None) -> None:
        """``token``: when set, every request must carry it (a gated or private repository)."""
        self._repos: dict[str, _Repo] = {}
        self._token = token
        self.requests: list[HubRequest] = []
        # path in repo -> bytes sent before the response stalls, until ``release`` (or the client leaves).
        self.stall_after: dict[str, int] = {}
        # path in repo -> bytes sent before the connection is closed (once).
        self.drop_after: dict[str, int] = {}
        self.stalled = asyncio.Event()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def add_repo(self, repo_id: str, directory: Path) -> None:
        files = {p.relative_to(directory).as_posix(): p for p in sorted(directory.rglob("*")) if p.is_file()}
        commit = hashlib.sha1(repo_id.encode() + str(sorted(files)).encode()).hexdigest()
        self._repos[repo_id] = _Repo(directory, commit, files)

    def release(self) -> None:
        self._released.set()

    async def __aenter__(self) -> HubStandIn:
        app = web.Application()
        app.router.add_route("GET", "/api/models/{owner}/{name}", self._info)
        app.router.add_route("GET", "/api/models/{owner}/{name}/revision/{revision}", self._info)
        app.router.add_route("GET", "/api/models/{owner}/{name}/tree/{revision}", self._tree)
        app.router.add_route("GET", "/api/models/{owner}/{name}/tree/{revision}/{path:.*}", self._tree)
        app.router.add_route("*", "/{owner}/{name}/resolve/{revision}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def _repo(self, request: web.Request) -> _Repo:
        self.requests.append(
            HubRequest(
                request.method,
                request.path,
                request.headers.get("Range"),
                request.headers.get("Authorization"),
            )
        )
        if self._token is not None and request.headers.get("Authorization") != f"Bearer {self._token}":
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": "Access to this model is restricted."}),
                headers={"X-Error-Code": "GatedRepo", "X-Error-Message": "Access restricted"},
                content_type="application/json",
            )
        repo = self._repos.get(f"{request.match_info['owner']}/{request.match_info['name']}")
        if repo is None:
            raise web.HTTPNotFound(
                text=json.dumps({"error": "Repository not found"}),
                headers={"X-Error-Code": "RepoNotFound"},
                content_type="application/json",
            )
        return repo

    async def _info(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        repo_id = f"{request.match_info['owner']}/{request.match_info['name']}"
        body: dict[str, Any] = {
            "_id": repo.commit[:24],
            "id": repo_id,
            "modelId": repo_id,
            "sha": repo.commit,
            "private": False,
            "gated": False,
            "disabled": False,
            "tags": ["diffusers"],
            "library_name": "diffusers",
            "siblings": [{"rfilename": name} for name in repo.files],
        }
        return web.json_response(body)

    async def _tree(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        under = request.match_info.get("path", "").strip("/")
        entries = []
        for name, path in repo.files.items():
            if under and not name.startswith(under + "/"):
                continue
            data = path.read_bytes()
            entry: dict[str, Any] = {"type": "file", "oid": _git_oid(data), "size": len(data), "path": name}
            if len(data) >= LFS_FROM:
                entry["lfs"] = {
                    "oid": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "pointerSize": 134,
                }
            entries.append(entry)
        return web.json_response(entries)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        name = request.match_info["path"]
        path = repo.files.get(name)
        if path is None:
            raise web.HTTPNotFound(headers={"X-Error-Code": "EntryNotFound", "X-Repo-Commit": repo.commit})
        data = path.read_bytes()
        lfs = len(data) >= LFS_FROM
        etag = hashlib.sha256(data).hexdigest() if lfs else _git_oid(data)
        headers = {"X-Repo-Commit": repo.commit, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
        if lfs:
            headers |= {"X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(len(data))}
        start = 0
        if (asked := request.headers.get("Range")) and asked.startswith("bytes="):
            start = int(asked.removeprefix("bytes=").split("-")[0])
        if request.method == "HEAD":
            return web.Response(headers=headers | {"Content-Length": str(len(data))})
        body = data[start:]
        status = 206 if start else 200
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        response = web.StreamResponse(status=status, headers=headers | {"Content-Length": str(len(body))})
        await response.prepare(request)
        stall = self.stall_after.pop(name, None)
        drop = self.drop_after.pop(name, None)
        if drop is not None:
            stall = drop
        sent = 0
        while sent < len(body):
            if stall is not None and start + sent >= stall:
                if drop is None:
                    self.stalled.set()
                    await self._released.wait()  # as a connection that stopped moving
                raise ConnectionResetError("the stand-in dropped the download")
            end = len(body) if stall is None else min(len(body), stall - start)
            chunk = body[sent : min(end, sent + CHUNK)]
            await response.write(chunk)
            sent += len(chunk)
        await response.write_eof()
        return response

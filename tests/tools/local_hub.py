"""A Hugging Face hub on 127.0.0.1 for tests: the paths huggingface_hub (and scripts/model_fetch.py)
use, over repositories the test builds, so model fetching is tested with no network.

  GET /api/models/<owner>/<name>[/revision/<revision>]   the commit and its files (with
                                                          ?blobs=true: sizes, LFS sha256, blob ids)
  GET|HEAD /<owner>/<name>/resolve/<revision>/<file>     a file (Range honoured), X-Repo-Commit

    hub = LocalHub()                       # serves on a free port
    hub.publish("Systran/faster-whisper-tiny", {"model.bin": Path(...), "config.json": b"{}"})
    os.environ["HF_ENDPOINT"] = hub.url
    hub.close()

Faults a test can switch on: `throttle` (bytes a second, to see progress), `truncate` (file name
-> serve that file cut off at half its length and close the connection), `corrupt` (file name ->
serve other bytes of the same length). `requests` counts what was asked for.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LFS_FROM = 10_000  # files this big are "LFS" files (listed with their sha256), smaller ones git blobs


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()  # noqa: S324


class LocalHub:
    def __init__(self) -> None:
        self.repos: dict[str, dict[str, str]] = {}  # repo -> ref -> commit
        self.history: dict[str, set[str]] = {}  # repo -> every commit it had
        self.commits: dict[str, dict[str, bytes | Path]] = {}  # commit -> file -> content
        self.throttle: float | None = None
        self.truncate: set[str] = set()
        self.corrupt: set[str] = set()
        self.requests: Counter[str] = Counter()
        self._meta: dict[tuple[str, str], dict] = {}
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                hub.answer(self, head=True)

            def do_GET(self) -> None:
                hub.answer(self, head=False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ repositories
    def publish(self, repo: str, files: dict[str, bytes | Path], ref: str = "main") -> str:
        """A new commit of `repo` holding `files`, which `ref` (a branch or tag) then names;
        returns the commit's sha."""
        digest = hashlib.sha1(repo.encode())
        for name in sorted(files):
            content = files[name]
            digest.update(name.encode() + (content if isinstance(content, bytes) else str(content).encode()))
        digest.update(str(len(self.commits)).encode())
        commit = digest.hexdigest()
        self.commits[commit] = dict(files)
        self.repos.setdefault(repo, {})[ref] = commit
        self.history.setdefault(repo, set()).add(commit)
        return commit

    def resolve(self, repo: str, revision: str) -> str | None:
        refs = self.repos.get(repo)
        if refs is None:
            return None
        if revision in refs:
            return refs[revision]
        return revision if revision in self.history[repo] else None

    def content(self, commit: str, name: str) -> bytes:
        item = self.commits[commit][name]
        return item.read_bytes() if isinstance(item, Path) else item

    def entry(self, commit: str, name: str) -> dict:
        key = (commit, name)
        if key not in self._meta:
            data = self.content(commit, name)
            entry = {"rfilename": name, "size": len(data), "blobId": git_blob_id(data)}
            if len(data) >= LFS_FROM:
                entry["lfs"] = {"sha256": sha256_of(data), "size": len(data), "pointerSize": 134}
            self._meta[key] = entry
        return self._meta[key]

    # ------------------------------------------------------------------ HTTP
    def answer(self, handler: BaseHTTPRequestHandler, head: bool) -> None:
        url = urllib.parse.urlsplit(handler.path)
        path = urllib.parse.unquote(url.path)
        self.requests[path] += 1
        parts = path.strip("/").split("/")
        try:
            if parts[:2] == ["api", "models"] and len(parts) >= 4:
                repo = "/".join(parts[2:4])
                revision = "/".join(parts[5:]) if len(parts) > 5 and parts[4] == "revision" else "main"
                return self.info(handler, repo, revision)
            if len(parts) >= 5 and parts[2] == "resolve":
                repo = "/".join(parts[:2])
                return self.file(handler, repo, parts[3], "/".join(parts[4:]), head)
            self.error(handler, 404, "", "not found")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def error(self, handler, code: int, error_code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        handler.send_response(code)
        if error_code:
            handler.send_header("X-Error-Code", error_code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def info(self, handler, repo: str, revision: str) -> None:
        if repo not in self.repos:
            return self.error(handler, 404, "RepoNotFound", f"Repository {repo} not found")
        commit = self.resolve(repo, revision)
        if commit is None:
            return self.error(handler, 404, "RevisionNotFound", f"Invalid rev id: {revision}")
        siblings = [self.entry(commit, name) for name in sorted(self.commits[commit])]
        body = json.dumps({"id": repo, "modelId": repo, "sha": commit, "siblings": siblings}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def file(self, handler, repo: str, revision: str, name: str, head: bool) -> None:
        commit = self.resolve(repo, revision)
        if commit is None:
            return self.error(handler, 404, "RevisionNotFound", f"Invalid rev id: {revision}")
        if name not in self.commits[commit]:
            return self.error(handler, 404, "EntryNotFound", f"{name} not found")
        data = self.content(commit, name)
        if name in self.corrupt:
            data = bytes(b ^ 0xFF for b in data[:64]) + data[64:]
        start = 0
        ranged = handler.headers.get("Range", "")
        if ranged.startswith("bytes=") and name not in self.truncate:
            start = int(ranged[6:].split("-")[0] or 0)
        handler.send_response(206 if start else 200)
        handler.send_header("Content-Length", str(len(data) - start))
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        handler.send_header("X-Repo-Commit", commit)
        handler.send_header("ETag", f'"{self.entry(commit, name).get("lfs", {}).get("sha256") or git_blob_id(data)}"')
        if name in self.truncate:
            handler.send_header("Connection", "close")
        handler.end_headers()
        if head:
            return
        body = data[start:]
        if name in self.truncate:
            body = body[: len(body) // 2]
        step = 1 << 16
        for offset in range(0, len(body), step):
            handler.wfile.write(body[offset : offset + step])
            if self.throttle:
                time.sleep(step / self.throttle)
        if name in self.truncate:
            handler.wfile.flush()
            handler.close_connection = True

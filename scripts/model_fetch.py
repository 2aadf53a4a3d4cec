"""model_fetch: fetch one model from the Hugging Face hub into model_dir, once, as a build artifact.

The revision asked for (a pinned branch, tag or commit; else the default branch) is resolved to
its commit, the files a loader needs are downloaded into a staging folder beside the model's
(each checked against the size and hash the hub lists for it), and only when all are there is
the folder renamed to `<slug>.<content>` and the manifest written (atomically, last): a fetch
that stops halfway leaves no manifest and no folder a later run would trust, and a new content
never overwrites a folder a running job may be loading.

The same commit fetched again is not downloaded again: its folder is checked against the hashes
recorded when it was fetched and the same manifest is written, byte for byte.

The hub is what huggingface_hub talks to (HF_ENDPOINT, default https://huggingface.co; a token
from HF_TOKEN or the huggingface_hub token file); stdlib only, so the job runs on Snakemake's
own interpreter and needs no stage env. Progress goes to the log and to the console as
`status:` lines (bytes, rate, time left); the last line says what was fetched and its size.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from subtitles_workflow.io import StageError, run_cli, write_text_atomic
from subtitles_workflow.model_manifest import (
    FILE_SETS, content_folder, dumps, file_sha256, hash_folder, is_safe_relative, make_manifest,
    move_into_place, read_manifest, selected_files,
)  # fmt: skip

DEFAULT_ENDPOINT = "https://huggingface.co"
# Seconds between two status lines (plus one at the start and one at the end).
STATUS_SECONDS = float(os.environ.get("SUBTITLES_FETCH_STATUS_SECONDS", "10"))
ATTEMPTS = 3  # per file; a broken connection resumes where it stopped when the server allows
TIMEOUT = 60.0  # seconds without a byte before an attempt gives up
BLOCK = 1 << 20
log = logging.getLogger("stage")


# ------------------------------------------------------------------------------ the hub
def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def hub_token() -> str | None:
    """huggingface_hub's token: HF_TOKEN, the legacy variable, then its token file."""
    for variable in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if os.environ.get(variable):
            return os.environ[variable].strip()
    home = Path(os.environ.get("HF_HOME", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "huggingface"))
    path = Path(os.environ.get("HF_TOKEN_PATH", home / "token"))
    with contextlib.suppress(OSError):
        return path.read_text().strip() or None
    return None


class SameHostAuth(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never send the hub token to another host (the CDN's signed URLs
    refuse a second credential, and it is not theirs to see)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


OPENER = urllib.request.build_opener(SameHostAuth)


def request(url: str, headers: dict[str, str] | None = None) -> urllib.request.Request:
    headers = {"User-Agent": "subtitles-workflow-model-fetch/1", **(headers or {})}
    token = hub_token()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return urllib.request.Request(url, headers=headers)


def hub_error(err: urllib.error.HTTPError, repo: str, revision: str) -> StageError:
    code = err.headers.get("X-Error-Code", "") if err.headers else ""
    if code == "RevisionNotFound" or (err.code == 404 and "revision" in code.lower()):
        return StageError(f"model {repo}: the hub has no revision {revision!r}; correct the @revision")
    if err.code in (401, 403):
        return StageError(
            f"model {repo}: the hub refuses access ({err.code}); a gated or private repository needs "
            "a token (HF_TOKEN, or `hf auth login`) with access to it"
        )
    if err.code == 404:
        return StageError(f"model {repo}: no such repository on the hub ({endpoint()}); check its name")
    return StageError(f"model {repo}: the hub answered {err.code} {err.reason}")


def repo_listing(repo: str, revision: str) -> dict[str, Any]:
    """The commit `revision` resolves to, and the files there with their sizes and hashes."""
    url = f"{endpoint()}/api/models/{repo}/revision/{urllib.parse.quote(revision, safe='')}?blobs=true"
    try:
        with OPENER.open(request(url), timeout=TIMEOUT) as response:
            info = json.loads(response.read().decode())
    except urllib.error.HTTPError as err:
        raise hub_error(err, repo, revision) from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise StageError(f"model {repo}: cannot ask the hub ({endpoint()}) for revision {revision!r} ({reason}); "
                         "check the network, or HF_ENDPOINT") from None  # fmt: skip
    if not isinstance(info.get("sha"), str) or not isinstance(info.get("siblings"), list):
        raise StageError(f"model {repo}: the hub's answer for revision {revision!r} names no commit and files")
    return info


# ------------------------------------------------------------------------------ progress
def megabytes(size: float) -> str:
    return f"{size / 1e6:.1f} MB"


def seconds_text(seconds: float) -> str:
    seconds = max(1, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def say(line: str) -> None:
    """A line for the log and for the console (the job's stderr is Snakemake's)."""
    log.info("%s", line)
    print(line, file=sys.__stderr__, flush=True)


class Progress:
    """Bytes fetched of all, as `status:` lines at most every STATUS_SECONDS (and at the end)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = self.last = time.monotonic()
        self.line()

    def add(self, count: int) -> None:
        self.done += count
        if time.monotonic() - self.last >= STATUS_SECONDS:
            self.line()

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> None:
        self.last = time.monotonic()
        rate = self.rate()
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        speed = f", {megabytes(rate)}/s" if self.done > 0 else ""
        if rate > 0 and self.total > self.done:
            speed += f", about {seconds_text((self.total - self.done) / rate)} left"
        say(f"status: fetching {self.label}: {self.done / 1e6:.1f} of {megabytes(self.total)}{share}{speed}")


# ------------------------------------------------------------------------------ download
def git_blob_sha1(path: Path) -> str:
    """The git blob id of a file (what the hub lists for files kept out of LFS)."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())  # noqa: S324 (git's own id)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(16 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, target: Path, size: int | None, progress: Progress, name: str) -> None:
    """`url` into `target`; a broken connection resumes (Range) or restarts, ATTEMPTS times."""
    target.parent.mkdir(parents=True, exist_ok=True)
    reason = "no answer"
    for attempt in range(1, ATTEMPTS + 1):
        have = target.stat().st_size if target.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with OPENER.open(request(url, headers), timeout=TIMEOUT) as response:
                if have and response.status != 206:  # no resuming here: start over
                    progress.add(-have)
                    have = 0
                with open(target, "ab" if have else "wb") as out:
                    while block := response.read(BLOCK):
                        out.write(block)
                        progress.add(len(block))
            got = target.stat().st_size
            if size is None or got == size:
                return
            reason = f"{got} of {size} bytes"
            if got > size:  # a wrong file, not a short one: start over
                progress.add(-got)
                target.unlink()
        except urllib.error.HTTPError as err:
            if err.code == 416 and size is not None and have == size:
                return
            if err.code < 500 and err.code != 429:
                raise StageError(f"{name}: the hub answered {err.code} {err.reason}") from None
            reason = f"{err.code} {err.reason}"
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            reason = str(getattr(err, "reason", err)) or type(err).__name__
        log.info("%s: attempt %d of %d stopped (%s)", name, attempt, ATTEMPTS, reason)
        time.sleep(attempt if attempt < ATTEMPTS else 0)
    raise StageError(f"{name}: the download stopped ({reason}) {ATTEMPTS} times; nothing was kept, run again")


def check_file(path: Path, entry: dict[str, Any], name: str) -> None:
    """The file is what the hub lists: its size, and its LFS sha256 or its git blob id."""
    size = entry.get("size")
    if isinstance(size, int) and path.stat().st_size != size:
        raise StageError(f"{name}: {path.stat().st_size} bytes, the hub lists {size}; nothing was kept, run again")
    lfs = entry.get("lfs") or {}
    if lfs.get("sha256"):
        if file_sha256(path) != lfs["sha256"]:
            raise StageError(f"{name}: its sha256 is not the one the hub lists; nothing was kept, run again")
    elif entry.get("blobId") and git_blob_sha1(path) != entry["blobId"]:
        raise StageError(f"{name}: its git blob id is not the one the hub lists; nothing was kept, run again")


# ------------------------------------------------------------------------------ model_dir
def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(where: Path, slug: str) -> None:
    """Staging folders a killed fetch of this model left (their process is gone)."""
    for stale in where.glob(f".{slug}.staging-*"):
        try:
            pid = int(stale.name.rsplit("staging-", 1)[1].split("-")[0])
        except ValueError:
            continue
        if not pid_alive(pid):
            log.info("removing %s (a fetch that stopped)", stale.name)
            shutil.rmtree(stale, ignore_errors=True)


def index_path(where: Path, slug: str, commit: str, file_set: str) -> Path:
    """Where the manifest of one commit's files is kept, to fetch the same commit again without
    downloading it (the manifest itself is Snakemake's output: removed before the job runs)."""
    return where / ".fetched" / f"{slug}@{commit}.{file_set}.json"


def reuse(where: Path, slug: str, commit: str, file_set: str, label: str) -> dict[str, Any] | None:
    """The manifest of this commit fetched before, when its folder still holds exactly those
    files (checked by hash); else None."""
    manifest = read_manifest(index_path(where, slug, commit, file_set))
    if not manifest or not manifest.get("folder"):
        return None
    folder = where / manifest["folder"]
    if not folder.is_dir():
        return None
    say(f"status: fetching {label}: commit {commit[:12]} is here already ({folder.name}); checking its files")
    if hash_folder(folder) != manifest.get("files"):
        log.info("%s no longer holds what was fetched: fetching again", folder)
        return None
    return manifest


def fetch(repo: str, revision: str, file_set: str, manifest_path: Path, expected: str | None) -> dict[str, Any]:
    where = manifest_path.parent
    slug = manifest_path.name[: -len(".json")]
    label = f"{repo}@{revision}" if revision else repo
    where.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(where, slug)
    info = repo_listing(repo, revision or "main")
    commit = info["sha"]
    entries = {s["rfilename"]: s for s in info["siblings"] if isinstance(s, dict) and isinstance(s.get("rfilename"), str)}
    names = selected_files(sorted(entries), file_set)
    unsafe = [name for name in names if not is_safe_relative(name)]
    if unsafe:
        raise StageError(f"model {label}: the hub lists a file outside the repository ({unsafe[0]!r}); refusing it")
    if not names or (file_set == "faster-whisper" and "model.bin" not in names):
        raise StageError(
            f"model {label} (commit {commit[:12]}) has no "
            + ("CTranslate2 model.bin: faster-whisper loads CTranslate2 conversions, e.g. Systran/faster-whisper-*"
               if file_set == "faster-whisper" else "model files")
        )  # fmt: skip
    source = {"hub": repo, "revision": revision or None, "commit": commit}
    log.info("%s resolves to commit %s: %s", label, commit, ", ".join(names))
    started = time.monotonic()
    manifest = reuse(where, slug, commit, file_set, label)
    if manifest is None:
        manifest = download_model(repo, commit, names, entries, where, slug, label, source, expected)
        fetched = manifest["size"]
    else:
        fetched = 0
    if expected and manifest["sha256"] != expected.lower():
        raise StageError(
            f"model {label} (commit {commit[:12]}) has sha256 {manifest['sha256']}, not the {expected} that "
            "model_sha256 expects; refusing it (nothing was kept). Correct model_sha256, or pin the revision you trust"
        )
    write_text_atomic(dumps(manifest), index_path(where, slug, commit, file_set))
    write_text_atomic(dumps(manifest), manifest_path)
    elapsed = time.monotonic() - started
    how = (f"downloaded in {elapsed:.1f} s at {megabytes(fetched / elapsed if elapsed else 0)}/s"
           if fetched else "already here, nothing downloaded")  # fmt: skip
    say(f"fetched {label} at {commit[:12]}: {len(manifest['files'])} files, {megabytes(manifest['size'])}, "
        f"{how} -> {where / manifest['folder']}")  # fmt: skip
    return manifest


def download_model(repo: str, commit: str, names: list[str], entries: dict[str, dict], where: Path, slug: str,
                   label: str, source: dict[str, Any], expected: str | None) -> dict[str, Any]:  # fmt: skip
    """Download into a staging folder, check every file, then rename it into place."""
    sizes_known = {name: entries[name].get("size") for name in names}
    total = sum(size for size in sizes_known.values() if isinstance(size, int))
    staging = Path(tempfile.mkdtemp(dir=where, prefix=f".{slug}.staging-{os.getpid()}-"))
    try:
        progress = Progress(label, total)
        for name in names:
            url = f"{endpoint()}/{repo}/resolve/{commit}/{urllib.parse.quote(name)}"
            size = sizes_known[name] if isinstance(sizes_known[name], int) else None
            download(url, staging / name, size, progress, f"model {label}: {name}")
            check_file(staging / name, entries[name], f"model {label}: {name}")
        progress.line()
        files = hash_folder(staging)
        sizes = {name: (staging / name).stat().st_size for name in files}
        sha256 = make_manifest(label, source, files, sizes)["sha256"]
        if expected and sha256 != expected.lower():
            return make_manifest(label, source, files, sizes)  # refused by the caller; staging removed below
        folder = where / content_folder(slug, sha256)
        move_into_place(staging, folder)
        return make_manifest(label, source, files, sizes, folder.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ------------------------------------------------------------------------------ the job
def setup_log(path: Path | None) -> None:
    """Everything to the job's log; `say` lines to the console too."""
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")  # then appended to, by the handler and by main's `error:` line alike
    handler: logging.Handler = logging.FileHandler(path, mode="a", encoding="utf-8") if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    log.info("interpreter: %s (Python %s)", sys.executable, sys.version.split()[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="owner/name on the hub")
    parser.add_argument("--revision", default="", help="branch, tag or commit (default: the default branch)")
    parser.add_argument("--files", choices=FILE_SETS, default="all", help="which of the repository's files")
    parser.add_argument("--manifest", type=Path, required=True, help="<model_dir>/hub/<slug>.json")
    parser.add_argument("--expect-sha256", default="", help="refuse a model whose content sha256 differs")
    parser.add_argument("--log", type=Path, help="the job's log (default: stderr)")
    args = parser.parse_args(argv)
    setup_log(args.log)
    try:
        fetch(args.repo, args.revision, args.files, args.manifest, args.expect_sha256 or None)
    except StageError as err:
        if args.log:  # the log's `error:` line is what the run's summary quotes
            with open(args.log, "a", encoding="utf-8") as handle:
                handle.write(f"error: {err}\n")
        raise


if __name__ == "__main__":
    socket.setdefaulttimeout(TIMEOUT)
    raise SystemExit(run_cli(main))

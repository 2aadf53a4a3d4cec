"""Atomic writes and logging set-up shared by the stage scripts."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside `path`; rename it into place only if the block succeeds.

    Same directory, so the rename is atomic: a crash, kill or full disk never leaves a
    truncated artifact under the final name for a later run to trust.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; artifacts get normal modes
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(text: str, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(data: object, path: str | os.PathLike) -> None:
    write_text_atomic(json.dumps(data, ensure_ascii=False, indent=1) + "\n", path)


def read_json(path: str | os.PathLike, what: str = "intermediate") -> Any:
    """An intermediate another stage wrote; a damaged one is one clear line, not a traceback."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StageError(f"{path}: unreadable {what} ({err}); delete it and re-run") from None


def run_tool(cmd: list[str], failure: str, remedy: str = "", **kwargs: Any) -> subprocess.CompletedProcess:
    """Run ffmpeg/ffprobe (argv, no shell); on failure raise StageError("<failure> (<last line
    of its stderr>); <remedy>")."""
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise StageError(f"{failure} ({reason})" + (f"; {remedy}" if remedy else ""))
    return done


def setup_logging(debug: bool = False) -> logging.Logger:
    """Log to stderr (the rule redirects it into its log file) and record the interpreter,
    so every job log shows which environment it really ran on."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    log = logging.getLogger("stage")
    log.info("interpreter: %s (Python %s)", sys.executable, sys.version.split()[0])
    return log


class StageError(Exception):
    """A user-facing failure: printed as one line naming the file and the remedy."""


def run_cli(main, argv: list[str] | None = None) -> int:
    """Run a stage's main(); turn StageError, and file-system errors (read-only folder, disk
    full), into one line naming the file and the remedy, and exit status 1."""
    try:
        main(argv)
    except StageError as err:
        message = str(err)
    except OSError as err:
        where = err.filename or "output"
        message = f"{where}: {err.strerror or err}; check that its folder is writable and the disk has free space"
    else:
        return 0
    logging.getLogger("stage").error("%s", message)
    print(f"error: {message}", file=sys.stderr)
    return 1

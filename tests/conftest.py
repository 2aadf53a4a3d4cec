"""Shared test helpers: where the shared fixtures are; running the workflow on a private copy of
the project (so tests never touch the developer's out/) is bench/project.py's, shared with the
benchmarks."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from project import FIXTURES, PROJECT, copy_project, planned_jobs, snakemake, update_config  # noqa: F401  (the tests' helpers)

SCRIPTS = PROJECT / "scripts"  # on pytest's sys.path (pytest.ini)

# Headless Chromium for the report tests (Debian's name, then Ubuntu's).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
requires_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (scripts/install-system-deps.sh --tests)")

@contextlib.contextmanager
def report_page(report: Path):
    """The HTML report open in headless Chromium, on its Results tab; yields the page and the
    list the page's script errors go to."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(report.as_uri())
        page.get_by_text("Results").first.click()
        try:
            yield page, errors
        finally:
            browser.close()


requires_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"shared test media not found at {FIXTURES} (clone ../shared beside the project, or set BENCH_FIXTURES)"
)


def fixture(relative: str) -> Path:
    path = FIXTURES / relative
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    return path


def model_dir_with_base(root: Path) -> Path:
    """A model_dir of a test's own holding this checkout's assembled base model (its manifest
    copied, its folder linked): what the test fetches or records (hub/, local/) stays there,
    never in the shared resources/models."""
    from project import MODELS

    if not (MODELS / "faster-whisper-base.json").exists():
        pytest.skip("bundled base model not assembled (snakemake envs)")
    models = root / "models"
    models.mkdir(parents=True)
    link = MODELS / "faster-whisper-base"
    shutil.copy2(MODELS / "faster-whisper-base.json", models / "faster-whisper-base.json")
    (models / os.readlink(link)).symlink_to(link.resolve())
    (models / "faster-whisper-base").symlink_to(os.readlink(link))
    return models


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR, bytes 16-24)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def pytest_collection_modifyitems(config, items):
    """Slow and cluster tests run only when asked for (RUN_SLOW=1, RUN_SLURM=1)."""
    for marker, variable in (("slow", "RUN_SLOW"), ("slurm", "RUN_SLURM")):
        if os.environ.get(variable) == "1":
            continue
        skip = pytest.mark.skip(reason=f"marked {marker}: set {variable}=1 to run")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


def wait_until(condition, timeout: float) -> bool:
    """Whether `condition()` came true within `timeout` seconds (polled every 0.1 s)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """The run failed with exactly one `error: ` line and no traceback; returns that line."""
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    errors = [line for line in output.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith("error: "), output[-3000:]
    return errors[0]

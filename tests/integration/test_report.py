"""`snakemake --report`: per-film plots and summary, opened in headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import copy_project, fixture, png_size, report_page, requires_chromium, requires_fixtures, snakemake, update_config

pytestmark = [requires_fixtures]
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    work = copy_project(tmp_path_factory.mktemp("report") / "project")
    shutil.copy2(fixture("en/jfk.flac"), work / "in" / "jfk.flac")
    (work / "in" / "jfk.en.ref.txt").write_text(JFK_TEXT + "\n")
    update_config(work, {"qc_report": True})
    snakemake(work)
    snakemake(work, "--report", "out/report.html")
    return work


def test_summary_has_timings_qc_and_wer(report):
    summary = (report / "work" / "report" / "jfk.summary.html").read_text()
    assert "<td>asr/jfk</td>" in summary  # heavy stages have a benchmark: file
    assert "<td>en</td>" in summary and "format violations" in summary and "problems" in summary
    wer = float(re.search(r"<td>jfk.en.ref.txt</td><td>([0-9.]+)</td>", summary)[1])
    assert wer <= 0.15


@requires_chromium
def test_report_shows_the_plots_in_chromium(report, tmp_path):
    with report_page(report / "out" / "report.html") as (page, errors):
        page.get_by_text("jfk").first.click()
        for figure in ("reading speed", "cue durations", "timeline"):
            page.locator("tr", has_text=figure).locator("a").first.click()
            image = page.locator("img[src^='data:image/png']")
            image.wait_for(timeout=10_000)
            assert image.evaluate("img => img.naturalWidth") >= 600, figure
            page.screenshot(path=str(tmp_path / f"{figure}.png"))
    assert errors == []


def test_timeline_is_one_row_for_a_short_film(report):
    width, height = png_size(report / "work" / "report" / "jfk.timeline.png")
    assert width == 1400 and 150 <= height <= 300

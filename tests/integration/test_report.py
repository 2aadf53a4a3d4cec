"""`snakemake --report`: per-film plots and summary, opened in headless Chromium; a Hindi film's
report draws its Devanagari."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import copy_project, fixture, png_size, report_page, requires_chromium, requires_fixtures, snakemake, update_config

pytestmark = [requires_fixtures]
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
HINDI_PARTS = [
    "hi/ekstep_sample.wav",
    "hi/indicwav2vec_workshop/train_Regional-Jaipur-Hindi-1230-2019828134746_sent_23.wav",
    "hi/indicwav2vec_workshop/train_Regional-Lucknow-Hindi-1920-201810162022_sent_48.wav",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    work = copy_project(tmp_path_factory.mktemp("report") / "project")
    shutil.copy2(fixture("en/jfk.flac"), work / "in" / "jfk.flac")
    (work / "in" / "jfk.en.ref.txt").write_text(JFK_TEXT + "\n")
    update_config(work, {"qc_report": True})
    snakemake(work)
    snakemake(work, "--report", "out/report.html")
    return work


@pytest.fixture(scope="module")
def hindi(tmp_path_factory) -> Path:
    """A Hindi film: three of the shared Hindi recordings joined (about 25 s), hi -> hi."""
    work = copy_project(tmp_path_factory.mktemp("hindi") / "project")
    parts = [fixture(part) for part in HINDI_PARTS]
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    joined = "".join(f"[{i}:a]aresample=16000,aformat=channel_layouts=mono[a{i}];" for i in range(len(parts)))
    joined += "".join(f"[a{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1[out]"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", joined, "-map", "[out]", str(work / "in" / "hindi.flac")], check=True)
    update_config(work, {"qc_report": True, "source_language": "hi"})
    snakemake(work)
    snakemake(work, "--report", "out/report.html")
    return work


def test_summary_has_timings_qc_and_wer(report):
    summary = (report / "work" / "report" / "jfk.summary.html").read_text()
    assert "<td>asr/jfk</td>" in summary  # heavy stages have a benchmark: file
    assert "<th>en</th>" in summary and "<th>format violations</th>" in summary and "<th>problems</th>" in summary
    wer = float(re.search(r"<td>jfk.en.ref.txt</td><td>([0-9.]+)</td>", summary)[1])
    assert wer <= 0.15


@requires_chromium
def test_report_shows_the_plots_in_chromium(report, tmp_path):
    with report_page(report / "out" / "report.html") as (page, errors):
        page.get_by_text("jfk").first.click()
        for figure in ("reading speed", "cue durations", "timeline"):
            page.locator("tr", has_text=figure).locator("a").first.click()
            image = figure_image(page, figure)
            image.wait_for(timeout=10_000)
            assert image.evaluate("img => img.naturalWidth") >= 600, figure
            page.screenshot(path=str(tmp_path / f"{figure}.png"))
    assert errors == []


def figure_image(page, figure: str):
    """The figure's image: in the report's page, or for the timeline in the frame of its own
    page (rules/report.smk: the report would centre a tall image out of reach)."""
    if figure != "timeline":
        return page.locator("img[src^='data:image/png']")
    page.wait_for_function("() => [...document.querySelectorAll('iframe')].length > 0", timeout=10_000)
    frame = next(f for f in page.frames if f != page.main_frame and "timeline" in (f.title() or f.url))
    return frame.locator("img[src^='data:image/png']")


def test_timeline_is_one_row_for_a_short_film(report):
    width, height = png_size(report / "work" / "report" / "jfk.timeline.png")
    assert width == 1400 and 150 <= height <= 300


@requires_chromium
def test_timeline_is_shown_at_its_own_size_and_the_summary_fits_the_page(report, tmp_path):
    """In a 1400 px window the report shows the 1400 px timeline in its page's frame, about 1050
    px wide, from its top: its 12.5 px cue text (tests/unit/test_report_timeline.py) is 9.4 px
    there, at its own size in windows from about 1870 px. The summary page, in its frame, never scrolls sideways (the QC of each language is
    a column, a long cell wraps)."""
    with report_page(report / "out" / "report.html") as (page, errors):
        page.get_by_text("jfk").first.click()
        page.locator("tr", has_text="timeline").locator("a").first.click()
        image = figure_image(page, "timeline")
        image.wait_for(timeout=10_000)
        natural, shown, top = image.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width, img.getBoundingClientRect().top]")
        page.screenshot(path=str(tmp_path / "timeline.png"))
        page.get_by_text("jfk").first.click()
        page.locator("tr", has_text="summary").locator("a").first.click()
        frame = next(f for f in page.frames if "summary" in f.url or f.url.startswith("data:text/html"))
        frame.get_by_text("Subtitle QC").wait_for(timeout=10_000)
        scroll, client = frame.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        page.screenshot(path=str(tmp_path / "summary.png"))
    assert natural == 1400 and shown >= 0.74 * natural  # the frame's width: 1050 px of a 1400 px window
    assert top >= 0, "the timeline's top is above its frame, out of reach"
    assert scroll <= client, f"the summary is {scroll} px wide in a {client} px frame"
    assert errors == []


def test_a_hindi_films_report_draws_its_devanagari(hindi):
    """Its cues are Devanagari, and the report job drew every glyph of them: matplotlib warns
    'Glyph ... missing from font(s) DejaVu Sans' for each character it draws as a box."""
    srt = (hindi / "out" / "hindi.hi.srt").read_text(encoding="utf-8")
    assert sum("\u0900" <= char <= "\u097f" for char in srt) > 50
    log = (hindi / "logs" / "report" / "hindi.log").read_text(encoding="utf-8")
    assert "missing from font" not in log, log[-2000:]
    assert (hindi / "work" / "report" / "hindi.timeline.png").stat().st_size > 0
    summary = (hindi / "work" / "report" / "hindi.summary.html").read_text(encoding="utf-8")
    assert "<th>hi</th>" in summary

"""Words as written on real speech (issue 28, item 3): espeak-ng reads a sentence with a
hyphenated word, a version, a URL and a contraction; the base model writes them as tokens
("well" "-known", "10" ".04", "www" ".okentutorial" ".org."; "Don't" whole), and the SRT shows each word whole
on one line."""

from __future__ import annotations

import re
import shutil
import subprocess

import pysrt
import pytest

from conftest import copy_project, snakemake

SPOKEN = "This is a well-known brand, see Ubuntu 10.04 at www.spoken-tutorial.org, don't worry."
TARGET = "out/brand.en.srt"


@pytest.fixture(scope="module")
def srt_lines(tmp_path_factory) -> list[str]:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed (scripts/install-system-deps.sh)")
    work = copy_project(tmp_path_factory.mktemp("words") / "project", subtitles={"max_line_chars": 20})
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(work / "in" / "brand.wav"), SPOKEN], check=True)
    snakemake(work, TARGET)
    subs = pysrt.from_string((work / TARGET).read_text(encoding="utf-8"))
    return [line for item in subs for line in item.text.splitlines()]


def test_hyphens_versions_urls_and_contractions_are_whole_words(srt_lines):
    words = " ".join(srt_lines).split()
    assert "well-known" in words, srt_lines
    assert any(re.fullmatch(r"10\.0\d*", word) for word in words), srt_lines
    assert any(re.fullmatch(r"www\.\w+\.org[.,]?", word) for word in words), srt_lines
    assert "don't" in [word.lower() for word in words], srt_lines


def test_no_line_starts_or_word_begins_with_the_rest_of_a_word(srt_lines):
    """Narrow lines (20 characters) and still no "-known", ".04" or ".org," on their own."""
    rests = [word for line in srt_lines for word in line.split() if re.match(r"[-.'’@/]\w", word)]
    assert not rests, srt_lines

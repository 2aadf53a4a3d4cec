"""README.md's rule graph (docs/rulegraph.svg) is the workflow's: the SVG records the digest of
the `snakemake --rulegraph` dot text it was drawn from (docs/rulegraph.py), recomputed here
without Graphviz."""

from __future__ import annotations

import importlib.util

import pytest

from conftest import PROJECT

spec = importlib.util.spec_from_file_location("docs_rulegraph", PROJECT / "docs" / "rulegraph.py")
rulegraph = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rulegraph)


@pytest.fixture(scope="module")
def dot_text() -> str:
    return rulegraph.rulegraph_dot()


def test_the_readme_shows_the_rule_graph():
    assert "](docs/rulegraph.svg)" in (PROJECT / "README.md").read_text()


def test_the_rule_graph_picture_is_current(dot_text):
    current = rulegraph.digest(dot_text)
    assert rulegraph.recorded_digest() == current, (
        "docs/rulegraph.svg was drawn from another rule graph: run `make rulegraph` and commit it"
    )


def test_the_dot_text_names_every_rule_once_and_is_stable(dot_text):
    labels = [line.split('"')[1] for line in dot_text.splitlines() if "[label = " in line]
    assert len(labels) == len(set(labels))
    assert {"demux_audio", "asr_transcribe", "subtitles_render", "mux_video", "translate_whisper"} <= set(labels)
    assert rulegraph.canonical(dot_text) == dot_text

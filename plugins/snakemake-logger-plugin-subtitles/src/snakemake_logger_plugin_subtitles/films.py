"""What the summary says about one film (its line after the name): its cues and QC problems by
kind, per language, from the QC JSON the subtitles stage writes (work/qc/<name>.<lang>.<fmt>.json);
the spoken language as the asr stage found it (work/asr/<name>.json: language_probability,
language_detection, language_warning); and its paths in out/. Plain files, no Snakemake: the
unit tests drive it on a folder of fixtures.

A film built in this run is described by what its jobs wrote (their outputs: the QC JSON of
each subtitles_render job, the out/ paths); an up-to-date one, which had no job, by what out/
and work/qc/ hold for it. Files are matched by name, never by glob: a film name may hold glob
characters, and film `a` must not pick up film `a.b`'s files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterable

OUT_DIR = "out"
QC_DIR = os.path.join("work", "qc")
ASR_DIR = os.path.join("work", "asr")
# What follows "<name>." in a film's file names (rules/common/outputs.smk, artifact_paths).
QC_FILE = re.compile(r"([a-z]{2,3})\.(srt|vtt|ass)\.json")
OUT_FILE = re.compile(r"[a-z]{2,3}\.(?:srt|vtt|ass)|[a-z]{2,3}\.burned\.mp4|mkv|mp4")
# One QC report per language: the subtitle formats hold the same cues, so the first one made.
FORMAT_ORDER = ("srt", "vtt", "ass")
def read_json(path: str | os.PathLike) -> dict[str, Any] | None:
    """A JSON object from `path`, or None (missing, half-written, not an object)."""
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


# The transcript's top-level key after its language fields (scripts/subtitles_workflow/
# transcript.py make_transcript, written with indent=1 by io.write_json_atomic): a 2 h film's
# transcript is megabytes of segments, so the summary reads only what comes before them.
SEGMENTS_KEY = '\n "segments": '
HEAD_BYTES = 65536


def read_transcript_head(path: str | os.PathLike) -> dict[str, Any] | None:
    """A transcript's fields before its segments (where it is laid out as the asr stage writes
    it; else the whole of it), or None."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            head = file.read(HEAD_BYTES)
    except OSError:
        return None
    end = head.find(SEGMENTS_KEY)
    if end > 0:
        try:
            document = json.loads(head[:end].rstrip().rstrip(",") + "\n}")
            if isinstance(document, dict):
                return document
        except ValueError:
            pass
    return read_json(path)


def film_files(folder: Path, name: str, pattern: re.Pattern) -> list[str]:
    """The files in `folder` named '<name>.<rest>' with `rest` matching `pattern`, sorted."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    prefix = f"{name}."
    return sorted(e for e in entries if e.startswith(prefix) and pattern.fullmatch(e[len(prefix):]))


def qc_language(path: str) -> tuple[str, str] | None:
    """(lang, fmt) of a QC report's path in work/qc/, or None for any other path."""
    found = re.fullmatch(r"[^/]+\.([a-z]{2,3})\.(srt|vtt|ass)\.json", Path(path).name)
    if not found or os.path.normpath(os.path.dirname(path)) != QC_DIR:
        return None
    return found[1], found[2]


def problem_kinds(report: dict[str, Any]) -> list[tuple[str, int]]:
    """(kind, count) of each kind of problem the QC found, most first: the notes it names
    (`note_kinds`: counted beside the problems, left out of its `problems` total) left out."""
    counts, notes = report.get("counts") or {}, set(report.get("note_kinds") or ())
    found = [(kind, int(n)) for kind, n in counts.items() if kind not in notes and isinstance(n, (int, float)) and n]
    return sorted(found, key=lambda item: -item[1])


def describe_qc(report: dict[str, Any], language: str) -> str:
    """'14 cues (en), 3 problems (cps 2, uncovered_speech 1: 12.3 s of speech under no cue)'."""
    kinds = []
    for kind, count in problem_kinds(report):
        text = f"{kind} {count}"
        if kind == "uncovered_speech" and report.get("uncovered_speech_s"):
            text += f": {float(report['uncovered_speech_s']):.1f} s of speech under no cue"
            if report.get("speech_dropped_s"):
                text += f" ({float(report['speech_dropped_s']):.1f} s of it dropped by asr)"
        kinds.append(text)
    total = report.get("problems")
    if not isinstance(total, int):
        total = sum(count for _, count in problem_kinds(report))
    cues = report.get("cues")
    cues = f"{cues} cue{'' if cues == 1 else 's'}" if isinstance(cues, int) else "cues unknown"
    problems = f"{total} problem{'' if total == 1 else 's'}" + (f" ({', '.join(kinds)})" if kinds else "")
    return f"{cues} ({language}), {problems}"


def describe_language(transcript: dict[str, Any] | None, qc_reports: Iterable[dict[str, Any]]) -> str | None:
    """The spoken language where the asr stage detected it: "language 'en' (p 0.98)"; below
    the threshold (a `language_warning` in the transcript or a QC report), "WARNING language
    guessed: 'it' p 0.28 (below 0.5), subtitled as 'en'". None where it was given."""
    transcript = transcript or {}
    detection = transcript.get("language_detection") or {}
    warned = transcript.get("language_warning") or next((r["language_warning"] for r in qc_reports if r.get("language_warning")), None)
    spoken = transcript.get("source_language")
    probability = transcript.get("language_probability")
    if warned:
        detected = detection.get("language", spoken)
        p = detection.get("probability", probability)
        used = detection.get("used", spoken)
        if detected:
            guess = f"'{detected}'" + (f" p {float(p):.2f}" if isinstance(p, (int, float)) else "")
        else:
            guess = "nothing (no speech)"
        threshold = detection.get("threshold")
        below = f" (below {float(threshold):g})" if isinstance(threshold, (int, float)) and detected else ""
        fallback = f", subtitled as '{used}'" if used and used != detected else ""
        return f"WARNING language guessed: {guess}{below}{fallback}"
    if transcript.get("requested_language") == "auto" and spoken:
        return f"language '{spoken}'" + (f" (p {float(probability):.2f})" if isinstance(probability, (int, float)) else "")
    return None


def output_order(path: str) -> tuple[int, str]:
    """Subtitle files first, then the films (muxed, burned in), each by name."""
    return (path.endswith((".mkv", ".mp4")), path)


def relative(path: str, root: Path) -> str:
    """A job's output path as Snakemake names it in its working directory `root`."""
    if os.path.isabs(path):
        try:
            return os.path.relpath(path, root)
        except ValueError:
            return path
    return path


def in_out(path: str) -> bool:
    parts = Path(os.path.normpath(path)).parts
    return len(parts) > 1 and parts[0] == OUT_DIR


def film_details(name: str, outputs: list[str] | None, root: Path) -> str:
    """What follows the film's name on its summary line: ': <per language>; <language> -> <out/
    paths>' (each part only where there is something to say). `outputs`: the paths its jobs in
    this run wrote (None: it had no job, so what out/ and work/qc/ hold for it)."""
    if outputs is None:
        reports = [os.path.join(QC_DIR, entry) for entry in film_files(root / QC_DIR, name, QC_FILE)]
        made = [os.path.join(OUT_DIR, entry) for entry in film_files(root / OUT_DIR, name, OUT_FILE)]
    else:
        outputs = [relative(path, root) for path in outputs]
        reports = [path for path in outputs if qc_language(path)]
        made = [path for path in outputs if in_out(path)]
        if not reports:  # e.g. only its video was muxed again: the reports it has
            reports = [os.path.join(QC_DIR, entry) for entry in film_files(root / QC_DIR, name, QC_FILE)]
    transcript = read_transcript_head(root / ASR_DIR / f"{name}.json")
    per_language: dict[str, tuple[int, dict[str, Any]]] = {}
    for path in reports:
        language, fmt = qc_language(path) or ("", "")
        report = read_json(root / path)
        rank = FORMAT_ORDER.index(fmt) if fmt in FORMAT_ORDER else len(FORMAT_ORDER)
        if report is not None and (language not in per_language or rank < per_language[language][0]):
            per_language[language] = (rank, report)
    spoken = (transcript or {}).get("source_language")
    languages = sorted(per_language, key=lambda language: (language != spoken, language))
    parts = [describe_qc(per_language[language][1], language) for language in languages]
    language = describe_language(transcript, [report for _, report in per_language.values()])
    if language:
        parts.append(language)
    text = f": {'; '.join(parts)}" if parts else ""
    paths = sorted(dict.fromkeys(os.path.normpath(path) for path in made), key=output_order)
    return text + (f" -> {', '.join(paths)}" if paths else "")

